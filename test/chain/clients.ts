import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  getAddress,
  http,
  TransactionReceiptNotFoundError,
  type Abi,
  type Account,
  type Address,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type WalletClient,
} from "viem";
import { mnemonicToAccount, type HDAccount } from "viem/accounts";
import { defineChain, type Chain } from "viem";
import { foundry } from "viem/chains";
import { anvilChainId } from "./anvil.js";

/** anvil's chain definition with the id this anvil was started with. */
export const fixtureChain = (rpcUrl: string): Chain => defineChain({ ...foundry, id: anvilChainId(rpcUrl) });

/** Anvil's default mnemonic: index 0 is the fixture deployer, the simulator uses 1..n. */
export const ANVIL_MNEMONIC = "test test test test test test test test test test test junk";

const accounts = new Map<number, HDAccount>();

/** HD derivation is slow (PBKDF2), so accounts are derived once per index. */
export function anvilAccount(index: number): HDAccount {
  let account = accounts.get(index);
  if (!account) {
    account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: index });
    accounts.set(index, account);
  }
  return account;
}

export type ChainClients = { publicClient: PublicClient; walletClient: WalletClient };

const clientsByUrl = new Map<string, ChainClients>();

/** Clients for a local anvil; short polling because automine makes receipts immediate. */
export function chainClients(rpcUrl: string): ChainClients {
  let clients = clientsByUrl.get(rpcUrl);
  if (!clients) {
    const transport = http(rpcUrl);
    clients = {
      publicClient: createPublicClient({ chain: fixtureChain(rpcUrl), transport, pollingInterval: 20 }),
      walletClient: createWalletClient({ chain: fixtureChain(rpcUrl), transport, pollingInterval: 20 }),
    };
    clientsByUrl.set(rpcUrl, clients);
  }
  return clients;
}

export type ContractCall = { address: Address; abi: Abi; functionName: string; args?: readonly unknown[] };

export async function read<T>(rpcUrl: string, call: ContractCall): Promise<T> {
  return (await chainClients(rpcUrl).publicClient.readContract(call as never)) as T;
}

// Sends from one account are serialised so concurrent callers in a process never race for a nonce.
const accountQueues = new Map<string, Promise<unknown>>();

function serialised<T>(rpcUrl: string, account: Account, task: () => Promise<T>): Promise<T> {
  const id = `${rpcUrl}|${account.address}`;
  const result = (accountQueues.get(id) ?? Promise.resolve()).then(task, task);
  accountQueues.set(id, result.catch(() => undefined));
  return result;
}

/** Sends a contract call and waits for it; throws if the receipt says reverted. */
export function send(rpcUrl: string, account: Account, call: ContractCall): Promise<TransactionReceipt> {
  return serialised(rpcUrl, account, () => sendNow(rpcUrl, account, call));
}

async function sendNow(rpcUrl: string, account: Account, call: ContractCall): Promise<TransactionReceipt> {
  const { publicClient, walletClient } = chainClients(rpcUrl);
  const request = { ...call, account, chain: fixtureChain(rpcUrl) };
  // Estimates are exact, but a later block timestamp can make an SSTORE (e.g. lastIncreasedTime)
  // cost more than it did during estimation, so leave headroom. A revert throws here, before sending.
  const estimate = await publicClient.estimateContractGas(request as never);
  const hash = await walletClient.writeContract({ ...request, gas: (estimate * 12n) / 10n + 10_000n } as never);
  return confirm(publicClient, hash, call.functionName);
}

/**
 * Like send, but returns null when gas estimation reports a revert, so nothing is mined.
 * Lets the simulator probe an action and fall back without ever leaving a failed tx on chain.
 */
export async function trySend(rpcUrl: string, account: Account, call: ContractCall): Promise<TransactionReceipt | null> {
  try {
    return await send(rpcUrl, account, call);
  } catch (error) {
    if (isRevert(error)) return null;
    throw error;
  }
}

export function deploy(rpcUrl: string, account: Account, artifact: { abi: Abi; bytecode: Hex }, args: readonly unknown[]) {
  return serialised(rpcUrl, account, async () => {
    const { publicClient, walletClient } = chainClients(rpcUrl);
    const hash = await walletClient.deployContract({ ...artifact, args, account, chain: fixtureChain(rpcUrl) } as never);
    const receipt = await confirm(publicClient, hash, "deploy");
    if (!receipt.contractAddress) throw new Error(`deploy ${hash} created no contract`);
    return { address: getAddress(receipt.contractAddress), blockNumber: receipt.blockNumber };
  });
}

/**
 * Polls for the receipt directly: under automine it exists as soon as the tx is accepted.
 * (viem's waitForTransactionReceipt got steadily slower over thousands of calls in one process.)
 */
async function confirm(publicClient: PublicClient, hash: Hex, what: string): Promise<TransactionReceipt> {
  const deadline = Date.now() + 60_000;
  for (let attempt = 0; ; attempt++) {
    const receipt = await publicClient.getTransactionReceipt({ hash }).catch((error: unknown) => {
      if (error instanceof TransactionReceiptNotFoundError) return null;
      throw error;
    });
    if (receipt) {
      if (receipt.status !== "success") throw new Error(`${what} reverted in tx ${hash}`);
      return receipt;
    }
    if (Date.now() > deadline) throw new Error(`${what}: no receipt for ${hash} after 60s`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(1 + attempt, 50))); // mining takes ms
  }
}

function isRevert(error: unknown): boolean {
  return error instanceof BaseError && error.walk((e) => e instanceof ContractFunctionRevertedError) !== null;
}

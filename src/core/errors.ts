import { getAddress, isAddress, type Address } from "viem";

// The read model's errors carry messages meant for the caller; the API layer maps them to its own
// error shape (errors.ts of the GraphQL layer). Any other error is a bug and the API masks it.

/** Bad input: a malformed address, an unknown portfolio or asset, a limit passed. */
export class InputError extends Error {
  override name = "InputError";
}

/** The question is fine but cannot be answered now: nothing indexed yet, an RPC failing. */
export class UnavailableError extends Error {
  override name = "UnavailableError";
}

export const userError = (message: string) => new InputError(message);

/** A wallet address as the caller wrote it, checksummed; anything else is an InputError. */
export function parseWallet(address: string): Address {
  if (!isAddress(address, { strict: false })) {
    throw userError(`invalid address '${address.slice(0, 64)}': expected 0x followed by 40 hex digits`);
  }
  return getAddress(address);
}

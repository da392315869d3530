import { parseAbi } from "viem";

// Derive (Lyra v2) derivexyz/v2-core src/SubAccounts.sol: an ERC-721 of subaccounts holding signed
// balances per (asset, subId); assetAndSubId = asset << 96 | subId.
export const DeriveSubAccountsAbi = parseAbi([
  "event BalanceAdjusted(uint256 indexed accountId, address indexed manager, bytes32 indexed assetAndSubId, int256 amount, int256 preBalance, int256 postBalance, uint256 tradeId)",
  "event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)",
  "function ownerOf(uint256 tokenId) view returns (address)",
]);

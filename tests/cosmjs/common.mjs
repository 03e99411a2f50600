// Shared settings for the cosmjs compatibility tests.
//
// TEST_MNEMONIC is a throwaway mnemonic generated once for these tests and
// hard-coded on purpose: run.sh funds its first address (m/44'/118'/0'/0/0,
// prefix "proof") in the genesis of a fresh localnet. Never use it for real funds.
export const TEST_MNEMONIC =
  "caught indoor like rail lake deputy move private actress slice wrestle soap " +
  "spell record welcome kick orchard aspect begin left deposit more person onion";

export const PREFIX = "proof";
export const DENOM = "uxyz";
export const RPC = process.env.PROOF_RPC || "http://127.0.0.1:26657";
export const CHAIN_ID = process.env.PROOF_CHAIN_ID || "proof-localnet";
// Minimum gas price of the chain is 0.025uxyz (docs/INTERFACES.md).
export const GAS_PRICE = "0.025uxyz";
// A bank send costs well under 200000 gas; 200000 * 0.025 = 5000uxyz.
export const SEND_FEE = { amount: [{ denom: DENOM, amount: "5000" }], gas: "200000" };

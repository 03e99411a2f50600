// The AMM system contract from cosmjs: the localnet deploys it, lists it in the genesis end-block
// hook (clock.contracts) and opens a demo uxyz/uusd pool; a swap sent by
// SigningCosmWasmClient is queued by its transaction and cleared at the end of the same block,
// at the price the contract's quote gave, and the TWAP and pool reserves move with it.
// run.sh points PROOF_LOCALNET_CONTRACTS at the localnet's contracts.json.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import { DENOM, GAS_PRICE, PREFIX, RPC, TEST_MNEMONIC } from "./common.mjs";

let client;
let sender;
let amm;

before(async () => {
  const file = process.env.PROOF_LOCALNET_CONTRACTS;
  assert.ok(file, "PROOF_LOCALNET_CONTRACTS is not set (run through run.sh)");
  amm = JSON.parse(readFileSync(file, "utf8")).contracts.find((c) => c.name === "amm")?.address;
  assert.ok(amm, "the localnet deployed no amm");
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(TEST_MNEMONIC, { prefix: PREFIX });
  [{ address: sender }] = await wallet.getAccounts();
  client = await SigningCosmWasmClient.connectWithSigner(RPC, wallet, {
    gasPrice: GasPrice.fromString(GAS_PRICE),
  });
});

after(() => client?.disconnect());

test("a swap clears at the end of its own block at the quoted price", async () => {
  const pool = await client.queryContractSmart(amm, { pool_by_denom: { denom: "uusd" } });
  assert.equal(pool.base_denom, DENOM);
  const offer = "1000000";
  const quote = await client.queryContractSmart(amm, {
    quote: { pool: pool.id, offer_denom: DENOM, amount: offer },
  });
  assert.ok(BigInt(quote.out) > 0n, `quote ${JSON.stringify(quote)}`);
  const before = BigInt((await client.getBalance(sender, "uusd")).amount);
  const res = await client.execute(
    sender,
    amm,
    { swap: { pool: pool.id, min_out: quote.out } },
    "auto",
    "cosmjs swap",
    [{ denom: DENOM, amount: offer }],
  );
  assert.ok(res.events.some((e) => e.type === "wasm-amm_swap_queued"), "the swap was queued");
  // Cleared by the end-block hook of the same block: nothing is left queued and the coins
  // arrived, exactly the quote (no other swap shared the batch).
  const pending = await client.queryContractSmart(amm, { pending: { pool: pool.id } });
  assert.equal(pending.swaps.length, 0);
  const after = BigInt((await client.getBalance(sender, "uusd")).amount);
  assert.equal(after - before, BigInt(quote.out));
  const moved = await client.queryContractSmart(amm, { pool: { pool: pool.id } });
  assert.equal(BigInt(moved.base_reserve) > BigInt(pool.base_reserve), true);
  assert.equal(BigInt(moved.quote_reserve), BigInt(pool.quote_reserve) - BigInt(quote.out));
});

// cosmjs compatibility: connect, query auth/bank, send tokens, find the tx.
// Needs a running chain where the TEST_MNEMONIC address holds uxyz (see run.sh).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient, StargateClient } from "@cosmjs/stargate";
import { CHAIN_ID, DENOM, GAS_PRICE, PREFIX, RPC, SEND_FEE, TEST_MNEMONIC } from "./common.mjs";

let client; // SigningStargateClient
let sender; // proof1... of TEST_MNEMONIC
let recipient; // fresh address, never funded before this run

before(async () => {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(TEST_MNEMONIC, { prefix: PREFIX });
  [{ address: sender }] = await wallet.getAccounts();
  const fresh = await DirectSecp256k1HdWallet.generate(24, { prefix: PREFIX });
  [{ address: recipient }] = await fresh.getAccounts();
  client = await SigningStargateClient.connectWithSigner(RPC, wallet, {
    gasPrice: GasPrice.fromString(GAS_PRICE),
  });
});

after(() => {
  client?.disconnect();
});

test("getChainId", async () => {
  assert.equal(await client.getChainId(), CHAIN_ID);
});

test("getHeight advances past genesis", async () => {
  const h = await client.getHeight();
  assert.ok(h >= 1, `height ${h}`);
});

test("getAccount of the funded sender", async () => {
  const acc = await client.getAccount(sender);
  assert.ok(acc, `account ${sender} not found (is it funded in genesis?)`);
  assert.equal(acc.address, sender);
  assert.equal(typeof acc.accountNumber, "number");
  assert.equal(typeof acc.sequence, "number");
});

test("getBalance of the sender is positive", async () => {
  const bal = await client.getBalance(sender, DENOM);
  assert.equal(bal.denom, DENOM);
  assert.ok(BigInt(bal.amount) > 0n, `balance ${bal.amount}${bal.denom}`);
});

test("unknown account: getAccount is null, getBalance is 0", async () => {
  assert.equal(await client.getAccount(recipient), null);
  const bal = await client.getBalance(recipient, DENOM);
  assert.equal(bal.amount, "0");
});

test("sendTokens with a fixed fee, then getBalance, getTx and sequence", async () => {
  const before = await client.getAccount(sender);
  const senderBalBefore = BigInt((await client.getBalance(sender, DENOM)).amount);

  const res = await client.sendTokens(sender, recipient, [{ denom: DENOM, amount: "12345" }], SEND_FEE, "cosmjs test");
  assert.equal(res.code, 0, `tx failed: code ${res.code} log ${res.rawLog}`);
  assert.match(res.transactionHash, /^[0-9A-F]{64}$/);
  assert.ok(res.height > 0);
  assert.ok(res.gasUsed > 0n || Number(res.gasUsed) > 0, `gasUsed ${res.gasUsed}`);

  const recv = await client.getBalance(recipient, DENOM);
  assert.equal(recv.amount, "12345");

  const senderBalAfter = BigInt((await client.getBalance(sender, DENOM)).amount);
  assert.equal(senderBalBefore - senderBalAfter, 12345n + 5000n, "sender pays amount + fee");

  const tx = await client.getTx(res.transactionHash);
  assert.ok(tx, `getTx(${res.transactionHash}) found nothing`);
  assert.equal(tx.code, 0);
  assert.equal(tx.height, res.height);
  assert.equal(tx.hash, res.transactionHash);

  // A second, independent (read-only) client sees the new sequence.
  const reader = await StargateClient.connect(RPC);
  try {
    const after = await reader.getAccount(sender);
    assert.equal(after.accountNumber, before.accountNumber);
    assert.equal(after.sequence, before.sequence + 1);
    assert.ok(after.pubkey, "pubkey is set on the account after its first tx");
    // The recipient account now exists.
    const rAcc = await reader.getAccount(recipient);
    assert.ok(rAcc, "recipient account created on first receive");
  } finally {
    reader.disconnect();
  }
});

test("sendTokens with fee 'auto' (Simulate)", async () => {
  const res = await client.sendTokens(sender, recipient, [{ denom: DENOM, amount: "1" }], "auto");
  assert.equal(res.code, 0, `tx failed: code ${res.code} log ${res.rawLog}`);
  const recv = await client.getBalance(recipient, DENOM);
  assert.equal(recv.amount, "12346");
});

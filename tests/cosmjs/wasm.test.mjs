// cosmjs compatibility for contracts: @cosmjs/cosmwasm-stargate's SigningCosmWasmClient uploads
// the template contract (contracts/artifacts/template.wasm, built by contracts/build.sh), creates
// and calls it, and reads it back with every CosmWasmClient query.
// Needs a running chain where the TEST_MNEMONIC address holds uxyz (see run.sh).
// The tests of this file run in order and share the code id and contract address.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { instantiate2Address, SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import { DENOM, GAS_PRICE, PREFIX, RPC, TEST_MNEMONIC } from "./common.mjs";

const WASM_PATH = fileURLToPath(new URL("../../contracts/artifacts/template.wasm", import.meta.url));

let client; // SigningCosmWasmClient
let sender; // proof1... of TEST_MNEMONIC (funded in genesis)
let other; // a fresh address that never signs
let wasm; // the template's bytes
let codeId;
let contract;

before(async () => {
  wasm = readFileSync(WASM_PATH);
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(TEST_MNEMONIC, { prefix: PREFIX });
  [{ address: sender }] = await wallet.getAccounts();
  const fresh = await DirectSecp256k1HdWallet.generate(24, { prefix: PREFIX });
  [{ address: other }] = await fresh.getAccounts();
  client = await SigningCosmWasmClient.connectWithSigner(RPC, wallet, {
    gasPrice: GasPrice.fromString(GAS_PRICE),
  });
});

after(() => {
  client?.disconnect();
});

const sha256hex = (bytes) => createHash("sha256").update(bytes).digest("hex");

test("upload the template (fee auto) returns code id and checksum", async () => {
  const res = await client.upload(sender, wasm, "auto", "cosmjs upload");
  assert.ok(Number.isInteger(res.codeId) && res.codeId > 0, `codeId ${res.codeId}`);
  assert.equal(res.checksum, sha256hex(wasm));
  assert.equal(res.originalSize, wasm.length);
  assert.ok(res.compressedSize < wasm.length, "cosmjs sends it gzipped");
  assert.ok(res.height > 0);
  codeId = res.codeId;
});

test("getCodeDetails returns creator, checksum and the original wasm", async () => {
  const code = await client.getCodeDetails(codeId);
  assert.equal(code.id, codeId);
  assert.equal(code.creator, sender);
  assert.equal(code.checksum, sha256hex(wasm));
  assert.equal(Buffer.compare(Buffer.from(code.data), wasm), 0, "stored code is the uploaded wasm");
});

test("instantiate with an admin and funds", async () => {
  const res = await client.instantiate(sender, codeId, { count: 5 }, "cosmjs counter", "auto", {
    admin: sender,
    funds: [{ denom: DENOM, amount: "700" }],
    memo: "cosmjs instantiate",
  });
  assert.match(res.contractAddress, /^proof1[02-9ac-hj-np-z]{58}$/, "32-byte contract address");
  contract = res.contractAddress;
  const bal = await client.getBalance(contract, DENOM);
  assert.equal(bal.amount, "700");
});

test("getContract shows code id, creator, admin and label", async () => {
  const c = await client.getContract(contract);
  assert.equal(c.address, contract);
  assert.equal(c.codeId, codeId);
  assert.equal(c.creator, sender);
  assert.equal(c.admin, sender);
  assert.equal(c.label, "cosmjs counter");
});

test("queryContractSmart reads the initial count and owner", async () => {
  assert.deepEqual(await client.queryContractSmart(contract, { get_count: {} }), { count: 5, owner: sender });
});

test("execute with funds increments the counter and moves the coins", async () => {
  const res = await client.execute(sender, contract, { increment: {} }, "auto", "cosmjs execute", [
    { denom: DENOM, amount: "1000" },
  ]);
  assert.equal(typeof res.transactionHash, "string");
  const wasmEvent = res.events.find((e) => e.type === "wasm");
  assert.ok(wasmEvent, `no wasm event in ${JSON.stringify(res.events)}`);
  const attr = (k) => wasmEvent.attributes.find((a) => a.key === k)?.value;
  assert.equal(attr("_contract_address"), contract);
  assert.equal(attr("action"), "increment");
  assert.equal(attr("count"), "6");
  assert.deepEqual(await client.queryContractSmart(contract, { get_count: {} }), { count: 6, owner: sender });
  assert.equal((await client.getBalance(contract, DENOM)).amount, "1700");
});

test("owner-only reset works for the owner", async () => {
  await client.execute(sender, contract, { reset: { count: 42 } }, "auto");
  assert.deepEqual(await client.queryContractSmart(contract, { get_count: {} }), { count: 42, owner: sender });
});

test("a message the contract rejects fails and changes nothing", async () => {
  await assert.rejects(
    client.execute(sender, contract, { no_such_message: {} }, "auto"),
    /no_such_message|unknown variant/,
  );
  assert.equal((await client.queryContractSmart(contract, { get_count: {} })).count, 42);
});

test("queryContractRaw reads a storage key", async () => {
  const raw = await client.queryContractRaw(contract, new TextEncoder().encode("contract_version"));
  assert.ok(raw, "contract_version is stored");
  assert.deepEqual(JSON.parse(new TextDecoder().decode(raw)), { contract: "template", version: "0.1.0" });
  // An absent key reads as empty bytes (an empty protobuf `data`, as with wasmd).
  const absent = await client.queryContractRaw(contract, new TextEncoder().encode("absent"));
  assert.equal(absent?.length ?? 0, 0);
});

test("getCodes and getContracts list the upload and the contract", async () => {
  const codes = await client.getCodes();
  const mine = codes.find((c) => c.id === codeId);
  assert.ok(mine, `code ${codeId} missing from ${JSON.stringify(codes)}`);
  assert.equal(mine.creator, sender);
  assert.equal(mine.checksum, sha256hex(wasm));
  assert.deepEqual(await client.getContracts(codeId), [contract]);
});

test("migrate (admin) keeps state and shows in the code history", async () => {
  const second = await client.upload(sender, wasm, "auto");
  const res = await client.migrate(sender, contract, second.codeId, {}, "auto");
  assert.equal(typeof res.transactionHash, "string");
  const c = await client.getContract(contract);
  assert.equal(c.codeId, second.codeId);
  assert.equal((await client.queryContractSmart(contract, { get_count: {} })).count, 42);
  const history = await client.getContractCodeHistory(contract);
  assert.deepEqual(
    history.map((h) => [h.operation, h.codeId]),
    [
      ["Init", codeId],
      ["Migrate", second.codeId],
    ],
  );
  assert.deepEqual(history[0].msg, { count: 5 });
});

test("updateAdmin then clearAdmin", async () => {
  await client.updateAdmin(sender, contract, other, "auto");
  assert.equal((await client.getContract(contract)).admin, other);
  // The sender is no longer the admin, so it cannot clear it.
  await assert.rejects(client.clearAdmin(sender, contract, "auto"), /unauthorized/i);
  assert.equal((await client.getContract(contract)).admin, other);
});

test("instantiate2 creates the contract at the predicted address", async () => {
  const salt = new TextEncoder().encode(`cosmjs-${Date.now()}`);
  const { checksum } = await client.getCodeDetails(codeId);
  const predicted = instantiate2Address(Buffer.from(checksum, "hex"), sender, salt, PREFIX);
  const res = await client.instantiate2(sender, codeId, salt, { count: 1 }, "cosmjs counter 2", "auto", {
    admin: sender,
  });
  assert.equal(res.contractAddress, predicted);
  assert.deepEqual(await client.queryContractSmart(predicted, { get_count: {} }), { count: 1, owner: sender });
  await client.clearAdmin(sender, predicted, "auto");
  assert.equal((await client.getContract(predicted)).admin, undefined);
});

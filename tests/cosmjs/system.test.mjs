// The system contracts localnet.sh deploys at its first start (localnet/system-contracts.json),
// read back through @cosmjs/cosmwasm-stargate: each is on chain with its label, governance as its
// admin (only a passed proposal can migrate it), and
// answers queries. run.sh points PROOF_LOCALNET_CONTRACTS at the localnet's contracts.json.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { CosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { sha256 } from "@cosmjs/crypto";
import { toBech32, toUtf8 } from "@cosmjs/encoding";
import { RPC, PREFIX } from "./common.mjs";

// The gov module account, derived as the chain does: the first 20 bytes of sha256("gov").
const GOV = toBech32(PREFIX, sha256(toUtf8("gov")).slice(0, 20));

const FILE = process.env.PROOF_LOCALNET_CONTRACTS;
let client;
let deployed;

before(async () => {
  assert.ok(FILE, "PROOF_LOCALNET_CONTRACTS is not set (run through run.sh)");
  deployed = JSON.parse(readFileSync(FILE, "utf8")).contracts;
  client = await CosmWasmClient.connect(RPC);
});

after(() => client?.disconnect());

test("every system contract of the manifest is deployed with its label, governance as admin", async () => {
  const manifest = JSON.parse(
    readFileSync(new URL("../../localnet/system-contracts.json", import.meta.url), "utf8"),
  ).contracts;
  assert.deepEqual(
    deployed.map((c) => c.name),
    manifest.map((c) => c.name),
  );
  for (const c of deployed) {
    const info = await client.getContract(c.address);
    assert.equal(info.codeId, c.code_id);
    assert.equal(info.label, c.label);
    assert.equal(info.admin, GOV);
  }
});

test("the system contracts answer queries", async () => {
  const byName = Object.fromEntries(deployed.map((c) => [c.name, c.address]));
  const token = await client.queryContractSmart(byName["demo-token"], { token_info: {} });
  assert.equal(token.symbol, "DEMO");
  assert.equal(token.total_supply, "1000000000000");
  const counter = await client.queryContractSmart(byName.counter, { get_count: {} });
  assert.equal(counter.count, 0);
});

// Prints the proof1... address of the fixed test mnemonic (used by run.sh to fund it in genesis).
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { TEST_MNEMONIC, PREFIX } from "./common.mjs";

const wallet = await DirectSecp256k1HdWallet.fromMnemonic(TEST_MNEMONIC, { prefix: PREFIX });
const [account] = await wallet.getAccounts();
console.log(account.address);

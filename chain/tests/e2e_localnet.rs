//! End to end on four real validators (proofd + CometBFT processes on 127.0.0.1): transfers land
//! everywhere with equal app hashes; a SIGKILLed validator doesn't stop the chain and catches up
//! after restart; replayed and mis-signed transactions are rejected and nothing is lost.
//!
//! Ports: node i uses the ports of node 40+i (30656...), so a user's localnet can keep running.

mod common;

use common::localnet::{account, balance, submit_and_wait, Localnet};
use cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw;
use proof_sdk::rpc::RpcClient;
use proof_sdk::tx::{sign_tx, Signer, TxParams};
use proof_sdk::{msgs, Address, Coin, KeyType, PrivateKey};
use prost::Message;
use std::time::Duration;

const OFFSET: u16 = 40;
const CHAIN: &str = "proof-e2e";

async fn transfer(rpc: &RpcClient, key: &PrivateKey, to: &Address, amount: u128) -> Vec<u8> {
    let acc = account(rpc, &key.address()).await;
    let params = TxParams {
        gas_limit: 200_000,
        fee: vec![Coin::new(5000, "uxyz")],
        include_pubkey: true,
        ..Default::default()
    };
    sign_tx(
        vec![msgs::bank_send(
            &key.address(),
            to,
            &[Coin::new(amount, "uxyz")],
        )],
        &[Signer {
            key,
            account_number: acc.account_number,
            sequence: acc.sequence,
        }],
        &params,
        CHAIN,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_transfers_kill9_restart_and_rejections() {
    let faucet = PrivateKey::generate(KeyType::Secp256k1);
    let alice = PrivateKey::generate(KeyType::Hybrid);
    let bob = PrivateKey::generate(KeyType::Ed25519).address();
    let mut net = Localnet::start(
        4,
        OFFSET,
        CHAIN,
        &[
            (faucet.address(), 1_000_000_000),
            (alice.address(), 1_000_000),
        ],
        None,
    )
    .await;
    let rpc0 = net.rpc(0).clone();

    // Transfers from two key types, submitted to different nodes.
    let tx1 = transfer(&rpc0, &faucet, &bob, 1000).await;
    submit_and_wait(&rpc0, &tx1).await;
    let tx2 = transfer(&net.nodes[1].rpc, &alice, &bob, 500).await;
    let h = submit_and_wait(&net.nodes[1].rpc, &tx2).await;
    for n in &net.nodes {
        n.rpc
            .wait_for_height(h + 1, Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(
            balance(&n.rpc, &bob, Some(h)).await,
            1500,
            "every node sees both transfers"
        );
    }
    let hashes = net.app_hashes(h + 1).await;
    assert!(
        hashes.windows(2).all(|w| w[0] == w[1]),
        "app hashes differ: {hashes:?}"
    );

    // A replayed transaction is refused (mempool cache or stale sequence) and changes nothing.
    let replay = rpc0.broadcast_tx_sync(&tx1).await;
    match replay {
        Ok(r) => assert_ne!(r.code, 0, "replay accepted: {}", r.log),
        Err(e) => assert!(e.to_string().contains("already exists in cache"), "{e}"),
    }
    // A mis-signed transaction is refused with the SDK's unauthorized code.
    let mut bad = TxRaw::decode(transfer(&rpc0, &faucet, &bob, 7).await.as_slice()).unwrap();
    bad.signatures[0][10] ^= 0x55;
    let r = rpc0.broadcast_tx_sync(&bad.encode_to_vec()).await.unwrap();
    assert_eq!(r.code, 4, "{}", r.log);

    // SIGKILL one validator: the other three (75% of the power) keep going.
    let before = rpc0.latest_height().await.unwrap();
    net.nodes[3].kill9();
    let tx3 = transfer(&rpc0, &faucet, &bob, 250).await;
    let h3 = submit_and_wait(&rpc0, &tx3).await;
    rpc0.wait_for_height(before + 5, Duration::from_secs(60))
        .await
        .expect("chain continues without node3");

    // Restart: node3 replays what it missed and reaches the same state.
    net.nodes[3].start();
    let target = rpc0.latest_height().await.unwrap();
    net.nodes[3]
        .rpc
        .wait_for_height(target, Duration::from_secs(90))
        .await
        .expect("node3 catches up");
    for n in &net.nodes {
        assert_eq!(
            balance(&n.rpc, &bob, Some(target)).await,
            1750,
            "nothing lost, nothing doubled"
        );
    }
    let hashes = net.app_hashes(target).await;
    assert!(
        hashes.windows(2).all(|w| w[0] == w[1]),
        "app hashes differ after restart: {hashes:?}"
    );
    assert!(h3 > before);
    // The replayed and mis-signed transactions never made it in: faucet paid exactly two sends.
    let faucet_acc = account(&rpc0, &faucet.address()).await;
    assert_eq!(faucet_acc.sequence, 2);
    assert_eq!(
        balance(&rpc0, &faucet.address(), None).await,
        1_000_000_000 - 1000 - 250 - 2 * 5000
    );
}

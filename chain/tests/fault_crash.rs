//! Crash points: four validators under a stream of transfers; twenty times a validator dies by
//! SIGKILL at a random moment, or aborts inside Commit (before or after its state write, through
//! `PROOFD_CRASH_AT`), and is restarted. Each time it replays to the same app hash as the
//! others, and at the end every transfer that was ever reported committed is in every node's
//! state, none twice.

mod common;

use std::time::Duration;

use common::localnet::{account, balance, header_app_hash, Localnet};
use proof_sdk::rpc::RpcClient;
use proof_sdk::tx::{sign_tx, Signer, TxParams};
use proof_sdk::{msgs, Address, Coin, KeyType, PrivateKey};
use rand::{Rng, SeedableRng};

const OFFSET: u16 = 44;
const CHAIN: &str = "proof-crash";
const ROUNDS: usize = 20;

fn sender(i: u8) -> PrivateKey {
    PrivateKey::from_seed(KeyType::Secp256k1, &[40 + i; 64], 0).unwrap()
}

/// Sends transfers of 1 uxyz from sender `seed` to `to` through `rpc`, one at a time, until
/// told to stop; returns the hashes of those CheckTx admitted (committed or not: the end of
/// the test asks the chain which were).
async fn load(
    rpc: RpcClient,
    seed: u8,
    to: Address,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<String> {
    let key = sender(seed);
    let mut sent = Vec::new();
    while !*stop.borrow() {
        let acc = account(&rpc, &key.address()).await;
        let tx = sign_tx(
            vec![msgs::bank_send(
                &key.address(),
                &to,
                &[Coin::new(1, "uxyz")],
            )],
            &[Signer {
                key: &key,
                account_number: acc.account_number,
                sequence: acc.sequence,
            }],
            &TxParams {
                gas_limit: 200_000,
                fee: vec![Coin::new(5000, "uxyz")],
                include_pubkey: true,
                ..Default::default()
            },
            CHAIN,
        );
        match rpc.broadcast_tx_sync(&tx).await {
            Ok(r) if r.code == 0 => {
                let _ = rpc
                    .wait_for_tx(&r.hash, Duration::from_secs(10), || {})
                    .await;
                sent.push(r.hash);
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validators_killed_at_random_moments_replay_to_the_same_state() {
    let senders: Vec<PrivateKey> = (0..2).map(sender).collect();
    let sink = PrivateKey::generate(KeyType::Ed25519).address();
    let accounts: Vec<(Address, u128)> = senders
        .iter()
        .map(|k| (k.address(), 1_000_000_000))
        .collect();
    let mut net = Localnet::start(4, OFFSET, CHAIN, &accounts, None).await;
    // The load goes to nodes 0 and 1; only 2 and 3 are ever killed, one at a time (3 of 4
    // keep the chain live).
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let loads: Vec<_> = senders
        .iter()
        .enumerate()
        .map(|(i, _)| {
            tokio::spawn(load(
                net.rpc(i).clone(),
                i as u8,
                sink.clone(),
                stop.clone(),
            ))
        })
        .collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(20);
    let mut kinds = Vec::new();
    for round in 0..ROUNDS {
        let victim = 2 + rng.gen_range(0..2usize);
        let now = net.rpc(0).latest_height().await.unwrap();
        let kind = match rng.gen_range(0..3) {
            0 => {
                // SIGKILL after a random moment.
                tokio::time::sleep(Duration::from_millis(rng.gen_range(100..2_000))).await;
                net.nodes[victim].kill9();
                "sigkill"
            }
            k => {
                // Abort inside Commit of a coming block, before or after the state write.
                let point = if k == 1 { "before" } else { "after" };
                let at = format!("commit-{point}:{}", now + rng.gen_range(2..5));
                net.nodes[victim].kill9();
                net.nodes[victim].start_with_env(&[("PROOFD_CRASH_AT", &at)]);
                let exited = net.nodes[victim].wait_exit(Duration::from_secs(60)).await;
                assert!(
                    exited.is_some(),
                    "round {round}: node {victim} did not crash at {at}"
                );
                if k == 1 {
                    "commit-before"
                } else {
                    "commit-after"
                }
            }
        };
        kinds.push(kind);
        net.nodes[victim].kill9();
        net.nodes[victim].start();
        let target = net.rpc(0).latest_height().await.unwrap();
        net.nodes[victim]
            .rpc
            .wait_for_height(target, Duration::from_secs(90))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "round {round} ({kind}): node {victim} did not recover: {e}\n{}",
                    net.nodes[victim].tail("proofd.log", 30)
                )
            });
        let mut hashes = Vec::new();
        for n in &net.nodes {
            hashes.push(header_app_hash(&n.rpc, target).await);
        }
        assert!(
            hashes.windows(2).all(|w| w[0] == w[1]),
            "round {round} ({kind}): app hashes differ at {target}: {hashes:?}"
        );
    }
    stop_tx.send(true).unwrap();
    let mut sent = Vec::new();
    for l in loads {
        sent.extend(l.await.unwrap());
    }
    let mut committed = 0u128;
    for hash in &sent {
        if let Ok(Some(r)) = net.rpc(0).tx(hash).await {
            assert_eq!(r.code, 0, "{hash}: {}", r.log);
            committed += 1;
        }
    }
    assert!(committed > 0, "no transfer committed under the crashes");
    let end = net.rpc(0).latest_height().await.unwrap() + 2;
    eprintln!(
        "crash points: {ROUNDS} crashes ({kinds:?}); {committed} of {} transfers committed, up to height {end}",
        sent.len()
    );
    for n in &net.nodes {
        n.rpc
            .wait_for_height(end, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(
            balance(&n.rpc, &sink, Some(end)).await,
            committed,
            "every committed transfer, once, on every node ({kinds:?})"
        );
    }
}

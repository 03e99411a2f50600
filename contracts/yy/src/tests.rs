//! The contract through its entry points, on mock storage.

use cosmwasm_std::testing::{
    message_info, mock_dependencies, mock_env, MockApi, MockQuerier, MockStorage,
};
use cosmwasm_std::{coin, from_json, Addr, BankMsg, Coin, CosmosMsg, Env, OwnedDeps, Response};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

use crate::contract::{execute, instantiate, migrate, query, sudo};
use crate::error::{ContractError, RateLimit};
use crate::msg::{
    Altcoin, AltcoinResponse, AltcoinsResponse, ConfigResponse, ExecuteMsg, Expiration,
    FlowResponse, InstantiateMsg, Limits, MigrateMsg, Outcome, PacketVerdict, PauseCause, QueryMsg,
    Quota, SettledResponse, Status, SudoMsg, SwapResponse, SwapsResponse, U128,
};
use crate::registry::ics20_denom;

type Deps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

const NATIVE: &str = "uxyz";
const T0: u64 = 1_700_000_000;
const H0: u64 = 1_000;
/// ATOM on Osmosis: sha256("transfer/channel-0/uatom"), a known ICS-20 denom.
const ATOM_ON_CHANNEL_0: &str =
    "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";

fn at(height: u64, secs: u64) -> Env {
    let mut e = mock_env();
    e.block.height = height;
    e.block.time = cosmwasm_std::Timestamp::from_seconds(secs);
    e
}

/// At `T0 + dt` seconds (and a height that follows).
fn after(dt: u64) -> Env {
    at(H0 + dt / 5, T0 + dt)
}

fn quota(name: &str, window_seconds: u64, max_inflow: u128, max_outflow: u128) -> Quota {
    Quota {
        name: name.into(),
        window_seconds,
        max_inflow: U128(max_inflow),
        max_outflow: U128(max_outflow),
    }
}

fn limits(quotas: Vec<Quota>, breaker: Option<u128>) -> Limits {
    Limits {
        quotas,
        breaker_inflow: breaker.map(U128),
    }
}

/// The voucher of `base` arrived over `channel`.
fn voucher(base: &str, channel: &str, limits: Limits) -> Altcoin {
    let trace_path = format!("transfer/{channel}");
    Altcoin {
        denom: ics20_denom(&trace_path, base),
        base_denom: base.into(),
        trace_path,
        source_chain: "cosmoshub-4".into(),
        channel: channel.into(),
        decimals: 6,
        display: "ATOM".into(),
        limits,
    }
}

struct Yy {
    deps: Deps,
    gov: Addr,
    guardian: Addr,
}

impl Yy {
    fn new() -> Yy {
        let mut deps = mock_dependencies();
        let gov = deps.api.addr_make("gov");
        let guardian = deps.api.addr_make("guardian");
        let admin = deps.api.addr_make("admin");
        instantiate(
            deps.as_mut(),
            after(0),
            message_info(&admin, &[]),
            InstantiateMsg {
                governance: gov.to_string(),
                native_denom: NATIVE.into(),
                guardians: vec![guardian.to_string()],
            },
        )
        .unwrap();
        Yy {
            deps,
            gov,
            guardian,
        }
    }

    fn addr(&self, name: &str) -> Addr {
        self.deps.api.addr_make(name)
    }

    fn exec_at(
        &mut self,
        env: Env,
        who: &Addr,
        funds: &[Coin],
        msg: ExecuteMsg,
    ) -> Result<Response, ContractError> {
        execute(self.deps.as_mut(), env, message_info(who, funds), msg)
    }

    fn exec(&mut self, who: &Addr, msg: ExecuteMsg) -> Result<Response, ContractError> {
        self.exec_at(after(0), who, &[], msg)
    }

    fn register(&mut self, altcoin: Altcoin) -> Result<Response, ContractError> {
        let gov = self.gov.clone();
        self.exec(&gov, ExecuteMsg::Register { altcoin })
    }

    fn set_status(
        &mut self,
        who: &Addr,
        denom: &str,
        status: Status,
    ) -> Result<Response, ContractError> {
        self.exec(
            who,
            ExecuteMsg::SetStatus {
                denom: denom.into(),
                status,
                reason: "looking into it".into(),
            },
        )
    }

    fn sudo(&mut self, dt: u64, msg: SudoMsg) -> Result<Response, ContractError> {
        sudo(self.deps.as_mut(), after(dt), msg)
    }

    fn recv(&mut self, dt: u64, denom: &str, amount: u128) -> Result<Response, ContractError> {
        self.sudo(
            dt,
            SudoMsg::RecvPacket {
                channel: "channel-0".into(),
                denom: denom.into(),
                amount: U128(amount),
                receiver: "someone".into(),
            },
        )
    }

    fn send(&mut self, dt: u64, denom: &str, amount: u128) -> Result<Response, ContractError> {
        self.sudo(
            dt,
            SudoMsg::SendPacket {
                channel: "channel-0".into(),
                denom: denom.into(),
                amount: U128(amount),
                sender: "someone".into(),
            },
        )
    }

    fn undo(&mut self, dt: u64, denom: &str, amount: u128) -> Result<Response, ContractError> {
        self.sudo(
            dt,
            SudoMsg::UndoSend {
                channel: "channel-0".into(),
                denom: denom.into(),
                amount: U128(amount),
            },
        )
    }

    fn q_at<T: serde::de::DeserializeOwned>(&self, env: Env, msg: QueryMsg) -> T {
        from_json(query(self.deps.as_ref(), env, msg).unwrap()).unwrap()
    }

    fn q<T: serde::de::DeserializeOwned>(&self, msg: QueryMsg) -> T {
        self.q_at(after(0), msg)
    }

    fn q_err(&self, msg: QueryMsg) -> ContractError {
        query(self.deps.as_ref(), after(0), msg).unwrap_err()
    }

    fn altcoin(&self, denom: &str) -> AltcoinResponse {
        self.q(QueryMsg::Altcoin {
            denom: denom.into(),
        })
    }

    /// (inflow, outflow) per quota on channel-0, as of `T0 + dt`.
    fn flows(&self, dt: u64, denom: &str) -> Vec<(u128, u128)> {
        let f: FlowResponse = self.q_at(
            after(dt),
            QueryMsg::Flow {
                denom: denom.into(),
                channel: "channel-0".into(),
            },
        );
        f.quotas.iter().map(|q| (q.inflow.0, q.outflow.0)).collect()
    }
}

fn verdict(r: &Response) -> PacketVerdict {
    from_json(r.data.as_ref().expect("a verdict")).unwrap()
}

/// The bank sends of a response: (recipient, denom, amount).
fn sends(r: &Response) -> Vec<(String, String, u128)> {
    r.messages
        .iter()
        .filter_map(|m| match &m.msg {
            CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => Some(
                amount
                    .iter()
                    .map(|c| {
                        let a = cosmwasm_std::Uint128::try_from(c.amount).unwrap().u128();
                        (to_address.clone(), c.denom.clone(), a)
                    })
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect()
}

fn attr(r: &Response, event: &str, key: &str) -> Option<String> {
    r.events
        .iter()
        .filter(|e| e.ty == event)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

#[test]
fn the_ics20_hash_is_the_known_one() {
    assert_eq!(
        ics20_denom("transfer/channel-0", "uatom"),
        ATOM_ON_CHANNEL_0
    );
}

#[test]
fn registration_checks_the_voucher_hash_and_refuses_duplicates() {
    let mut yy = Yy::new();
    let atom = voucher("uatom", "channel-0", Limits::default());
    assert_eq!(atom.denom, ATOM_ON_CHANNEL_0);

    // A hash of another path, or the right one in lower case, is not the voucher.
    let wrong = Altcoin {
        denom: ics20_denom("transfer/channel-0", "uosmo"),
        ..atom.clone()
    };
    assert!(matches!(
        yy.register(wrong).unwrap_err(),
        ContractError::WrongIbcHash { expected, .. } if expected == ATOM_ON_CHANNEL_0
    ));
    let lower = Altcoin {
        denom: format!("ibc/{}", ATOM_ON_CHANNEL_0[4..].to_lowercase()),
        ..atom.clone()
    };
    assert!(matches!(
        yy.register(lower).unwrap_err(),
        ContractError::WrongIbcHash { .. }
    ));
    // The trace must start at the altcoin's channel.
    let elsewhere = Altcoin {
        channel: "channel-1".into(),
        ..atom.clone()
    };
    assert!(matches!(
        yy.register(elsewhere).unwrap_err(),
        ContractError::Invalid {
            field: "trace_path",
            ..
        }
    ));

    yy.register(atom.clone()).unwrap();
    let got = yy.altcoin(ATOM_ON_CHANNEL_0);
    assert_eq!(
        (got.altcoin, got.status, got.pause),
        (atom.clone(), Status::Active, None)
    );
    assert_eq!(
        yy.register(atom.clone()).unwrap_err(),
        ContractError::AlreadyRegistered(ATOM_ON_CHANNEL_0.into())
    );
    let by_trace: AltcoinResponse = yy.q(QueryMsg::AltcoinByTrace {
        trace_path: "transfer/channel-0".into(),
        base_denom: "uatom".into(),
    });
    assert_eq!(by_trace.altcoin.denom, ATOM_ON_CHANNEL_0);
    assert!(matches!(
        yy.q_err(QueryMsg::AltcoinByTrace {
            trace_path: "transfer/channel-9".into(),
            base_denom: "uatom".into(),
        }),
        ContractError::NoTrace(_)
    ));

    // A multi-hop voucher: the first hop is ours.
    let hops = "transfer/channel-0/transfer/channel-141";
    yy.register(Altcoin {
        denom: ics20_denom(hops, "uosmo"),
        base_denom: "uosmo".into(),
        trace_path: hops.into(),
        ..atom.clone()
    })
    .unwrap();

    // A native altcoin has no trace; the chain's own coin is no altcoin.
    let native = Altcoin {
        denom: "factory/bridge/ubtc".into(),
        base_denom: "sat".into(),
        trace_path: String::new(),
        ..atom.clone()
    };
    yy.register(native.clone()).unwrap();
    assert!(matches!(
        yy.register(Altcoin {
            denom: "factory/bridge/ubtc2".into(),
            trace_path: "transfer/channel-0".into(),
            ..native.clone()
        })
        .unwrap_err(),
        ContractError::Invalid {
            field: "trace_path",
            ..
        }
    ));
    assert!(matches!(
        yy.register(Altcoin {
            denom: "factory/bridge/ubtc2".into(),
            ..native.clone()
        })
        .unwrap_err(),
        ContractError::TraceRegistered(..)
    ));
    assert_eq!(
        yy.register(Altcoin {
            denom: NATIVE.into(),
            base_denom: NATIVE.into(),
            ..native
        })
        .unwrap_err(),
        ContractError::NativeDenom(NATIVE.into())
    );
}

#[test]
fn registration_validates_every_field() {
    let mut yy = Yy::new();
    let ok = voucher("uatom", "channel-0", Limits::default());
    let field = |e: ContractError| match e {
        ContractError::Invalid { field, .. } => field,
        e => panic!("not a validation error: {e}"),
    };
    let cases: Vec<(Altcoin, &str)> = vec![
        // A base denom that begins with a trace: the trace belongs in trace_path, or one voucher
        // would have two spellings.
        (
            Altcoin {
                base_denom: "transfer/channel-7/uatom".into(),
                ..voucher("transfer/channel-7/uatom", "channel-0", Limits::default())
            },
            "base_denom",
        ),
        (
            Altcoin {
                decimals: 19,
                ..ok.clone()
            },
            "decimals",
        ),
        (
            Altcoin {
                display: "AT OM".into(),
                ..ok.clone()
            },
            "display",
        ),
        (
            Altcoin {
                display: "A".repeat(33),
                ..ok.clone()
            },
            "display",
        ),
        (
            Altcoin {
                channel: "channel-01".into(),
                ..ok.clone()
            },
            "channel",
        ),
        (
            Altcoin {
                channel: "chan-1".into(),
                ..ok.clone()
            },
            "channel",
        ),
        (
            Altcoin {
                source_chain: String::new(),
                ..ok.clone()
            },
            "source_chain",
        ),
        (
            Altcoin {
                limits: limits(vec![quota("m", 59, 1, 1)], None),
                ..ok.clone()
            },
            "window_seconds",
        ),
        (
            Altcoin {
                limits: limits(vec![quota("a", 60, 1, 1), quota("a", 120, 1, 1)], None),
                ..ok.clone()
            },
            "quota name",
        ),
        (
            Altcoin {
                limits: limits(
                    (0..5).map(|i| quota(&format!("q{i}"), 60, 1, 1)).collect(),
                    None,
                ),
                ..ok.clone()
            },
            "limits",
        ),
        (
            Altcoin {
                limits: limits(vec![], Some(10)),
                ..ok.clone()
            },
            "breaker_inflow",
        ),
        (
            Altcoin {
                limits: limits(vec![quota("h", 3600, 10, 10)], Some(0)),
                ..ok.clone()
            },
            "breaker_inflow",
        ),
    ];
    for (altcoin, want) in cases {
        assert_eq!(field(yy.register(altcoin).unwrap_err()), want);
    }
    let none: AltcoinsResponse = yy.q(QueryMsg::Altcoins {
        start_after: None,
        limit: None,
    });
    assert!(none.altcoins.is_empty(), "nothing was registered");
}

#[test]
fn only_governance_registers_updates_and_sets_guardians() {
    let mut yy = Yy::new();
    let (g, stranger) = (yy.guardian.clone(), yy.addr("stranger"));
    let atom = voucher("uatom", "channel-0", Limits::default());
    for who in [&g, &stranger] {
        assert_eq!(
            yy.exec(
                who,
                ExecuteMsg::Register {
                    altcoin: atom.clone()
                }
            )
            .unwrap_err(),
            ContractError::NotGovernance
        );
    }
    yy.register(atom).unwrap();
    assert_eq!(
        yy.exec(
            &g,
            ExecuteMsg::UpdateLimits {
                denom: ATOM_ON_CHANNEL_0.into(),
                limits: Limits::default()
            }
        )
        .unwrap_err(),
        ContractError::NotGovernance
    );
    assert_eq!(
        yy.exec(
            &g,
            ExecuteMsg::SetGuardians {
                guardians: vec![stranger.to_string()]
            }
        )
        .unwrap_err(),
        ContractError::NotGovernance
    );
    let gov = yy.gov.clone();
    let eleven: Vec<String> = (0..11)
        .map(|i| yy.addr(&format!("g{i}")).to_string())
        .collect();
    assert!(matches!(
        yy.exec(&gov, ExecuteMsg::SetGuardians { guardians: eleven })
            .unwrap_err(),
        ContractError::Invalid {
            field: "guardians",
            ..
        }
    ));
    yy.exec(
        &gov,
        ExecuteMsg::SetGuardians {
            guardians: vec![stranger.to_string()],
        },
    )
    .unwrap();
    let cfg: ConfigResponse = yy.q(QueryMsg::Config {});
    assert_eq!(cfg.guardians, vec![stranger.to_string()]);
    assert_eq!(cfg.native_denom, NATIVE);
    // The old guardian is one no more.
    assert_eq!(
        yy.set_status(&g, ATOM_ON_CHANNEL_0, Status::Paused)
            .unwrap_err(),
        ContractError::NotGuardian
    );
    // Governance attaches no coins to what it does.
    assert!(matches!(
        yy.exec_at(
            after(0),
            &gov,
            &[coin(1, NATIVE)],
            ExecuteMsg::SetGuardians { guardians: vec![] }
        )
        .unwrap_err(),
        ContractError::WrongFunds(_)
    ));
}

#[test]
fn guardians_pause_and_resume_their_own_pauses_only() {
    let mut yy = Yy::new();
    yy.register(voucher("uatom", "channel-0", Limits::default()))
        .unwrap();
    let (g, gov, stranger) = (yy.guardian.clone(), yy.gov.clone(), yy.addr("stranger"));
    let d = ATOM_ON_CHANNEL_0;
    assert_eq!(
        yy.set_status(&stranger, d, Status::Paused).unwrap_err(),
        ContractError::NotGuardian
    );
    assert_eq!(
        yy.set_status(&g, d, Status::Active).unwrap_err(),
        ContractError::NotPaused(d.into())
    );

    yy.set_status(&g, d, Status::Paused).unwrap();
    let a = yy.altcoin(d);
    assert_eq!(a.status, Status::Paused);
    let p = a.pause.unwrap();
    assert_eq!(
        (p.cause, p.reason.as_str(), p.since),
        (PauseCause::Guardian, "looking into it", T0)
    );
    // Paused: both directions and new locks are refused.
    assert!(matches!(
        yy.recv(1, d, 1).unwrap_err(),
        ContractError::Paused { .. }
    ));
    assert!(matches!(
        yy.send(1, d, 1).unwrap_err(),
        ContractError::Paused { .. }
    ));
    let alice = yy.addr("alice");
    let lock = yy.exec_at(
        after(1),
        &alice,
        &[coin(5, d)],
        ExecuteMsg::Lock {
            id: "swap-1".into(),
            hash: "00".repeat(32),
            recipient: alice.to_string(),
            expires: Expiration::AtHeight(H0 + 100),
        },
    );
    assert!(matches!(lock.unwrap_err(), ContractError::Paused { .. }));

    // A guardian lifts a guardian's pause.
    yy.set_status(&g, d, Status::Active).unwrap();
    assert_eq!(yy.altcoin(d).status, Status::Active);
    yy.recv(1, d, 1).unwrap();

    // Governance's pause only governance lifts, and a guardian cannot turn it into its own.
    yy.set_status(&gov, d, Status::Paused).unwrap();
    assert_eq!(
        yy.set_status(&g, d, Status::Active).unwrap_err(),
        ContractError::GovernanceResumes {
            denom: d.into(),
            cause: "governance".into()
        }
    );
    assert!(matches!(
        yy.set_status(&g, d, Status::Paused).unwrap_err(),
        ContractError::AlreadyPaused { .. }
    ));
    assert_eq!(yy.altcoin(d).pause.unwrap().cause, PauseCause::Governance);
    yy.set_status(&gov, d, Status::Active).unwrap();
    assert_eq!(yy.altcoin(d).status, Status::Active);
    assert!(matches!(
        yy.set_status(&stranger, "ibc/NOPE", Status::Paused)
            .unwrap_err(),
        ContractError::NotGuardian
    ));
    assert_eq!(
        yy.set_status(&g, "uosmo", Status::Paused).unwrap_err(),
        ContractError::NotRegistered("uosmo".into())
    );
}

#[test]
fn a_packet_over_any_quota_is_refused_and_records_nothing() {
    let mut yy = Yy::new();
    let d = ATOM_ON_CHANNEL_0;
    yy.register(voucher(
        "uatom",
        "channel-0",
        limits(
            vec![
                quota("hour", 3_600, 1_000, 500),
                quota("day", 86_400, 1_500, 500),
            ],
            None,
        ),
    ))
    .unwrap();
    let r = yy.recv(0, d, 600).unwrap();
    assert_eq!(verdict(&r), PacketVerdict::Allow {});
    yy.recv(10, d, 400).unwrap(); // exactly the hour's max
    assert_eq!(yy.flows(10, d), [(1_000, 0), (1_000, 0)]);
    let err = yy.recv(20, d, 1).unwrap_err();
    assert_eq!(
        err,
        ContractError::RateLimited(Box::new(RateLimit {
            denom: d.into(),
            channel: "channel-0".into(),
            quota: "hour".into(),
            direction: "inflow",
            would_be: 1_001,
            max: 1_000,
            resets_at: T0 + 3_600,
        }))
    );
    assert!(err.to_string().contains("resets at 1700003600"), "{err}");
    assert_eq!(
        yy.flows(20, d),
        [(1_000, 0), (1_000, 0)],
        "nothing recorded"
    );

    // The hour's window resets after 3,600 s; the day's has room for 500 more, not 600, and
    // refusing on the day records nothing in the hour either.
    let err = yy.recv(3_600, d, 600).unwrap_err();
    assert!(matches!(
        err,
        ContractError::RateLimited(ref r)
            if r.quota == "day" && (r.would_be, r.max, r.resets_at) == (1_600, 1_500, T0 + 86_400)
    ));
    assert_eq!(yy.flows(3_600, d), [(0, 0), (1_000, 0)]);
    yy.recv(3_600, d, 500).unwrap();
    assert_eq!(yy.flows(3_600, d), [(500, 0), (1_500, 0)]);
    let f: FlowResponse = yy.q_at(
        after(3_600),
        QueryMsg::Flow {
            denom: d.into(),
            channel: "channel-0".into(),
        },
    );
    assert_eq!(
        (f.quotas[0].window_start, f.quotas[0].resets_at),
        (T0 + 3_600, T0 + 7_200)
    );
    // Outflows count apart, and another channel has its own windows.
    yy.send(3_600, d, 500).unwrap();
    assert!(matches!(
        yy.send(3_600, d, 1).unwrap_err(),
        ContractError::RateLimited(ref r) if r.direction == "outflow"
    ));
    yy.sudo(
        3_600,
        SudoMsg::RecvPacket {
            channel: "channel-7".into(),
            denom: d.into(),
            amount: U128(1_000),
            receiver: "r".into(),
        },
    )
    .unwrap();
    // After the day, everything is open again.
    yy.recv(86_400, d, 1_000).unwrap();
    assert_eq!(yy.flows(86_400, d), [(1_000, 0), (1_000, 0)]);
}

#[test]
fn raising_a_limit_keeps_the_window() {
    let mut yy = Yy::new();
    let d = ATOM_ON_CHANNEL_0;
    let gov = yy.gov.clone();
    yy.register(voucher(
        "uatom",
        "channel-0",
        limits(vec![quota("hour", 3_600, 1_000, 1_000)], None),
    ))
    .unwrap();
    yy.recv(0, d, 1_000).unwrap();
    yy.exec(
        &gov,
        ExecuteMsg::UpdateLimits {
            denom: d.into(),
            limits: limits(vec![quota("hour", 3_600, 1_500, 1_000)], None),
        },
    )
    .unwrap();
    yy.recv(10, d, 500).unwrap();
    assert!(matches!(
        yy.recv(10, d, 1).unwrap_err(),
        ContractError::RateLimited(ref r) if r.would_be == 1_501
    ));
}

#[test]
fn an_undone_send_gives_its_outflow_back_within_its_window() {
    let mut yy = Yy::new();
    let d = ATOM_ON_CHANNEL_0;
    yy.register(voucher(
        "uatom",
        "channel-0",
        limits(vec![quota("hour", 3_600, 1_000, 1_000)], None),
    ))
    .unwrap();
    yy.send(0, d, 800).unwrap();
    assert!(yy.send(1, d, 300).is_err());
    yy.undo(2, d, 500).unwrap();
    assert_eq!(yy.flows(2, d), [(0, 300)]);
    yy.send(3, d, 700).unwrap();
    assert_eq!(yy.flows(3, d), [(0, 1_000)]);
    yy.undo(4, d, 5_000).unwrap();
    assert_eq!(yy.flows(4, d), [(0, 0)], "saturates at zero");

    // A send refunded after its window ended gives nothing to the next window.
    yy.send(5, d, 1_000).unwrap();
    yy.undo(3_600, d, 1_000).unwrap();
    yy.send(3_600, d, 1_000).unwrap();
    assert!(matches!(
        yy.send(3_601, d, 1).unwrap_err(),
        ContractError::RateLimited(ref r) if r.would_be == 1_001
    ));
    // Unregistered denoms, and paused ones, are refunded all the same.
    yy.undo(3_601, "uosmo", 1).unwrap();
    let g = yy.guardian.clone();
    yy.set_status(&g, d, Status::Paused).unwrap();
    yy.undo(3_602, d, 400).unwrap();
    assert_eq!(yy.flows(3_602, d), [(0, 600)]);
}

#[test]
fn unregistered_denoms_pass_unlimited() {
    let mut yy = Yy::new();
    let d = ics20_denom("transfer/channel-0", "uosmo");
    for amount in [u128::MAX, u128::MAX] {
        let r = yy.recv(0, &d, amount).unwrap();
        assert_eq!(verdict(&r), PacketVerdict::Allow {});
        assert_eq!(
            attr(&r, "yy_recv_packet", "registered").as_deref(),
            Some("false")
        );
        let r = yy.send(0, NATIVE, amount).unwrap();
        assert_eq!(verdict(&r), PacketVerdict::Allow {});
    }
}

#[test]
fn the_circuit_breaker_refuses_the_tripping_packet_and_pauses_until_a_guardian_resumes() {
    let mut yy = Yy::new();
    let d = ATOM_ON_CHANNEL_0;
    yy.register(voucher(
        "uatom",
        "channel-0",
        limits(vec![quota("hour", 3_600, 1_000, 1_000)], Some(800)),
    ))
    .unwrap();
    yy.recv(0, d, 500).unwrap();
    // 500 + 300 reaches 800: refused, with the pause kept (an Ok call whose verdict refuses).
    let r = yy.recv(1, d, 300).unwrap();
    let PacketVerdict::Refuse { reason } = verdict(&r) else {
        panic!("not refused");
    };
    assert!(reason.starts_with("circuit breaker"), "{reason}");
    assert_eq!(
        attr(&r, "yy_circuit_breaker", "inflow").as_deref(),
        Some("800")
    );
    let a = yy.altcoin(d);
    assert_eq!(a.status, Status::Paused);
    let p = a.pause.unwrap();
    assert_eq!((p.cause, p.reason), (PauseCause::CircuitBreaker, reason));
    assert_eq!(
        yy.flows(1, d),
        [(500, 0)],
        "the tripping packet was not recorded"
    );
    assert!(matches!(
        yy.recv(2, d, 1).unwrap_err(),
        ContractError::Paused { .. }
    ));
    assert!(matches!(
        yy.send(2, d, 1).unwrap_err(),
        ContractError::Paused { .. }
    ));

    // A guardian lifts a breaker's pause (tripping it costs an attacker nothing it keeps, so
    // it must not wait for a vote); a stranger cannot.
    let (g, stranger) = (yy.guardian.clone(), yy.deps.api.addr_make("stranger"));
    assert!(yy.set_status(&stranger, d, Status::Active).is_err());
    yy.set_status(&g, d, Status::Active).unwrap();
    yy.recv(3, d, 299).unwrap();
    assert_eq!(yy.flows(3, d), [(799, 0)]);
    // Outflows never trip it.
    yy.send(3, d, 1_000).unwrap();
    // An attempt beyond a quota's max trips it too: that much is the anomaly itself.
    let r = yy.recv(4, d, 5_000).unwrap();
    assert!(matches!(verdict(&r), PacketVerdict::Refuse { .. }));
}

#[test]
fn a_frozen_client_pauses_its_channels_altcoins_only() {
    let mut yy = Yy::new();
    let (g, gov) = (yy.guardian.clone(), yy.gov.clone());
    let atom = voucher("uatom", "channel-0", Limits::default());
    let osmo = voucher("uosmo", "channel-0", Limits::default());
    let juno = voucher("ujuno", "channel-0", Limits::default());
    let other = voucher("uatom", "channel-1", Limits::default());
    for a in [&atom, &osmo, &juno, &other] {
        yy.register(a.clone()).unwrap();
    }
    yy.set_status(&g, &osmo.denom, Status::Paused).unwrap();
    yy.set_status(&gov, &juno.denom, Status::Paused).unwrap();
    let r = yy
        .sudo(
            50,
            SudoMsg::ClientFrozen {
                channel: "channel-0".into(),
            },
        )
        .unwrap();
    assert_eq!(attr(&r, "yy_client_frozen", "paused").as_deref(), Some("2"));
    for a in [&atom, &osmo] {
        let p = yy.altcoin(&a.denom).pause.unwrap();
        assert_eq!((p.cause, p.since), (PauseCause::ClientFrozen, T0 + 50));
    }
    assert_eq!(
        yy.altcoin(&juno.denom).pause.unwrap().cause,
        PauseCause::Governance,
        "a governance pause stays governance's"
    );
    assert_eq!(yy.altcoin(&other.denom).status, Status::Active);
    assert!(matches!(
        yy.set_status(&g, &osmo.denom, Status::Active).unwrap_err(),
        ContractError::GovernanceResumes { .. }
    ));
    yy.set_status(&gov, &atom.denom, Status::Active).unwrap();
}

#[test]
fn a_channel_carries_at_most_64_altcoins() {
    let mut yy = Yy::new();
    for i in 0..64 {
        yy.register(voucher(&format!("u{i}"), "channel-3", Limits::default()))
            .unwrap();
    }
    assert_eq!(
        yy.register(voucher("u64", "channel-3", Limits::default()))
            .unwrap_err(),
        ContractError::ChannelFull {
            channel: "channel-3".into(),
            max: 64
        }
    );
    yy.register(voucher("u64", "channel-4", Limits::default()))
        .unwrap();
    let r = yy
        .sudo(
            0,
            SudoMsg::ClientFrozen {
                channel: "channel-3".into(),
            },
        )
        .unwrap();
    assert_eq!(
        attr(&r, "yy_client_frozen", "paused").as_deref(),
        Some("64")
    );
}

fn secret(n: u8) -> [u8; 32] {
    [n; 32]
}

fn hash_of(s: &[u8; 32]) -> String {
    hex::encode(Sha256::digest(s))
}

fn lock_msg(id: &str, s: &[u8; 32], recipient: &Addr, expires: Expiration) -> ExecuteMsg {
    ExecuteMsg::Lock {
        id: id.into(),
        hash: hash_of(s),
        recipient: recipient.to_string(),
        expires,
    }
}

fn claim_msg(id: &str, s: &[u8; 32]) -> ExecuteMsg {
    ExecuteMsg::Claim {
        id: id.into(),
        preimage: hex::encode(s),
    }
}

#[test]
fn a_claim_with_the_secret_pays_the_recipient_once_and_publishes_it() {
    let mut yy = Yy::new();
    let (alice, bob, carol) = (yy.addr("alice"), yy.addr("bob"), yy.addr("carol"));
    let s = secret(7);
    let expires = Expiration::AtHeight(H0 + 100);
    let r = yy
        .exec_at(
            after(0),
            &alice,
            &[coin(1_000, NATIVE)],
            lock_msg("swap-1", &s, &bob, expires),
        )
        .unwrap();
    assert_eq!(attr(&r, "yy_lock", "hash"), Some(hash_of(&s)));
    let open: SwapResponse = yy.q(QueryMsg::Swap {
        id: "swap-1".into(),
    });
    assert_eq!(
        open,
        SwapResponse {
            id: "swap-1".into(),
            sender: alice.to_string(),
            recipient: bob.to_string(),
            hash: hash_of(&s),
            denom: NATIVE.into(),
            amount: U128(1_000),
            expires,
        }
    );

    assert_eq!(
        yy.exec_at(after(5), &carol, &[], claim_msg("swap-1", &secret(8)))
            .unwrap_err(),
        ContractError::WrongPreimage
    );
    // A longer secret whose prefix is right is no secret here.
    assert!(matches!(
        yy.exec_at(
            after(5),
            &carol,
            &[],
            ExecuteMsg::Claim {
                id: "swap-1".into(),
                preimage: format!("{}00", hex::encode(s))
            }
        )
        .unwrap_err(),
        ContractError::Invalid {
            field: "preimage",
            ..
        }
    ));
    // Anyone may claim; the recipient is paid.
    let r = yy
        .exec_at(after(5), &carol, &[], claim_msg("swap-1", &s))
        .unwrap();
    assert_eq!(sends(&r), [(bob.to_string(), NATIVE.to_string(), 1_000)]);
    assert_eq!(attr(&r, "yy_claim", "preimage"), Some(hex::encode(s)));
    assert!(matches!(
        yy.q_err(QueryMsg::Swap {
            id: "swap-1".into()
        }),
        ContractError::NoSwap(_)
    ));
    let settled: SettledResponse = yy.q(QueryMsg::Settled {
        id: "swap-1".into(),
    });
    assert_eq!(
        (settled.outcome, settled.preimage),
        (Outcome::Claimed, Some(hex::encode(s)))
    );

    assert_eq!(
        yy.exec_at(after(6), &bob, &[], claim_msg("swap-1", &s))
            .unwrap_err(),
        ContractError::AlreadyClaimed("swap-1".into())
    );
    assert_eq!(
        yy.exec_at(
            after(1_000),
            &alice,
            &[],
            ExecuteMsg::Refund {
                id: "swap-1".into()
            }
        )
        .unwrap_err(),
        ContractError::AlreadyClaimed("swap-1".into())
    );
    assert_eq!(
        yy.exec_at(
            after(6),
            &alice,
            &[coin(1, NATIVE)],
            lock_msg("swap-1", &s, &bob, expires)
        )
        .unwrap_err(),
        ContractError::DuplicateId("swap-1".into()),
        "a claimed id never comes back"
    );
}

#[test]
fn expiry_ends_claims_and_opens_refunds_to_the_sender() {
    let mut yy = Yy::new();
    let (alice, bob) = (yy.addr("alice"), yy.addr("bob"));
    let s = secret(1);
    let atom = ATOM_ON_CHANNEL_0;
    yy.exec_at(
        after(0),
        &alice,
        &[coin(42, atom)],
        lock_msg("t-1", &s, &bob, Expiration::AtTime(T0 + 100)),
    )
    .unwrap();
    assert_eq!(
        yy.exec_at(
            after(99),
            &bob,
            &[],
            ExecuteMsg::Refund { id: "t-1".into() }
        )
        .unwrap_err(),
        ContractError::NotExpired("t-1".into())
    );
    assert_eq!(
        yy.exec_at(after(100), &bob, &[], claim_msg("t-1", &s))
            .unwrap_err(),
        ContractError::Expired("t-1".into())
    );
    // Anyone may trigger the refund; it goes to the sender.
    let r = yy
        .exec_at(
            after(100),
            &bob,
            &[],
            ExecuteMsg::Refund { id: "t-1".into() },
        )
        .unwrap();
    assert_eq!(sends(&r), [(alice.to_string(), atom.to_string(), 42)]);
    assert_eq!(
        yy.exec_at(
            after(101),
            &bob,
            &[],
            ExecuteMsg::Refund { id: "t-1".into() }
        )
        .unwrap_err(),
        ContractError::AlreadyRefunded("t-1".into())
    );
    let settled: SettledResponse = yy.q(QueryMsg::Settled { id: "t-1".into() });
    assert_eq!(
        (settled.outcome, settled.preimage),
        (Outcome::Refunded, None)
    );

    // By height too; an expiry already reached is refused at the lock.
    yy.exec_at(
        at(H0, T0),
        &alice,
        &[coin(5, NATIVE)],
        lock_msg("h-1", &s, &bob, Expiration::AtHeight(H0 + 10)),
    )
    .unwrap();
    assert!(yy
        .exec_at(
            at(H0 + 9, T0),
            &bob,
            &[],
            ExecuteMsg::Refund { id: "h-1".into() }
        )
        .is_err());
    let r = yy
        .exec_at(
            at(H0 + 10, T0),
            &bob,
            &[],
            ExecuteMsg::Refund { id: "h-1".into() },
        )
        .unwrap();
    assert_eq!(sends(&r), [(alice.to_string(), NATIVE.to_string(), 5)]);
    for expires in [Expiration::AtHeight(H0), Expiration::AtTime(T0 - 1)] {
        assert_eq!(
            yy.exec_at(
                at(H0, T0),
                &alice,
                &[coin(5, NATIVE)],
                lock_msg("h-2", &s, &bob, expires)
            )
            .unwrap_err(),
            ContractError::ExpiryPassed
        );
    }
}

#[test]
fn locks_refuse_wrong_funds_ids_and_hashes() {
    let mut yy = Yy::new();
    let (alice, bob) = (yy.addr("alice"), yy.addr("bob"));
    let s = secret(2);
    let e = Expiration::AtHeight(H0 + 50);
    let mut lock = |funds: &[Coin], msg: ExecuteMsg| yy.exec_at(after(0), &alice, funds, msg);
    for funds in [
        vec![],
        vec![coin(0, NATIVE)],
        vec![coin(1, NATIVE), coin(1, "uatom")],
    ] {
        assert!(matches!(
            lock(&funds, lock_msg("ok-id", &s, &bob, e)).unwrap_err(),
            ContractError::WrongFunds(_)
        ));
    }
    for id in ["ab", "Upper", "with space", &"a".repeat(65)] {
        assert!(matches!(
            lock(&[coin(1, NATIVE)], lock_msg(id, &s, &bob, e)).unwrap_err(),
            ContractError::Invalid { field: "id", .. }
        ));
    }
    for hash in ["ab".repeat(31), "zz".repeat(32)] {
        let msg = ExecuteMsg::Lock {
            id: "ok-id".into(),
            hash,
            recipient: bob.to_string(),
            expires: e,
        };
        assert!(matches!(
            lock(&[coin(1, NATIVE)], msg).unwrap_err(),
            ContractError::Invalid { field: "hash", .. }
        ));
    }
    // Upper-case hex is the same hash.
    let upper = ExecuteMsg::Lock {
        id: "ok-id".into(),
        hash: hash_of(&s).to_uppercase(),
        recipient: bob.to_string(),
        expires: e,
    };
    lock(&[coin(1, NATIVE)], upper).unwrap();
    assert_eq!(
        lock(&[coin(9, NATIVE)], lock_msg("ok-id", &s, &bob, e)).unwrap_err(),
        ContractError::DuplicateId("ok-id".into())
    );
    assert!(matches!(
        yy.exec_at(after(1), &bob, &[coin(1, NATIVE)], claim_msg("ok-id", &s))
            .unwrap_err(),
        ContractError::WrongFunds(_)
    ));
    assert!(matches!(
        yy.exec_at(after(1), &bob, &[], claim_msg("no-such", &s))
            .unwrap_err(),
        ContractError::NoSwap(_)
    ));
    let r = yy
        .exec_at(after(1), &bob, &[], claim_msg("ok-id", &s))
        .unwrap();
    assert_eq!(sends(&r), [(bob.to_string(), NATIVE.to_string(), 1)]);
}

#[test]
fn a_pause_blocks_new_locks_but_never_a_claim() {
    let mut yy = Yy::new();
    yy.register(voucher("uatom", "channel-0", Limits::default()))
        .unwrap();
    let (alice, bob, g) = (yy.addr("alice"), yy.addr("bob"), yy.guardian.clone());
    let s = secret(3);
    let e = Expiration::AtHeight(H0 + 50);
    yy.exec_at(
        after(0),
        &alice,
        &[coin(10, ATOM_ON_CHANNEL_0)],
        lock_msg("p-1", &s, &bob, e),
    )
    .unwrap();
    yy.set_status(&g, ATOM_ON_CHANNEL_0, Status::Paused)
        .unwrap();
    assert!(matches!(
        yy.exec_at(
            after(1),
            &alice,
            &[coin(10, ATOM_ON_CHANNEL_0)],
            lock_msg("p-2", &s, &bob, e)
        )
        .unwrap_err(),
        ContractError::Paused { .. }
    ));
    let r = yy
        .exec_at(after(1), &bob, &[], claim_msg("p-1", &s))
        .unwrap();
    assert_eq!(
        sends(&r),
        [(bob.to_string(), ATOM_ON_CHANNEL_0.to_string(), 10)]
    );
}

#[test]
fn listings_are_paged_and_bounded() {
    let mut yy = Yy::new();
    for i in 0..105 {
        let ch = if i < 60 { "channel-0" } else { "channel-1" };
        yy.register(voucher(&format!("u{i:03}"), ch, Limits::default()))
            .unwrap();
    }
    let page = |yy: &Yy, start_after: Option<String>, limit: Option<u32>| -> Vec<String> {
        let r: AltcoinsResponse = yy.q(QueryMsg::Altcoins { start_after, limit });
        r.altcoins.into_iter().map(|a| a.altcoin.denom).collect()
    };
    assert_eq!(page(&yy, None, None).len(), 30, "30 by default");
    assert_eq!(page(&yy, None, Some(1_000)).len(), 100, "100 at most");
    let mut all = Vec::new();
    let mut start = None;
    loop {
        let p = page(&yy, start.clone(), Some(40));
        if p.is_empty() {
            break;
        }
        start = p.last().cloned();
        all.extend(p);
    }
    assert_eq!(all.len(), 105);
    assert!(all.windows(2).all(|w| w[0] < w[1]), "ascending, no repeats");

    let (alice, bob, carol) = (yy.addr("alice"), yy.addr("bob"), yy.addr("carol"));
    for i in 0..35 {
        let to = if i % 2 == 0 { &bob } else { &carol };
        yy.exec_at(
            after(0),
            &alice,
            &[coin(1, NATIVE)],
            lock_msg(
                &format!("s-{i:02}"),
                &secret(i),
                to,
                Expiration::AtHeight(H0 + 9),
            ),
        )
        .unwrap();
    }
    let swaps: SwapsResponse = yy.q(QueryMsg::Swaps {
        start_after: None,
        limit: None,
    });
    assert_eq!(swaps.swaps.len(), 30);
    let rest: SwapsResponse = yy.q(QueryMsg::Swaps {
        start_after: Some("s-29".into()),
        limit: Some(100),
    });
    assert_eq!(rest.swaps.len(), 5);
    assert_eq!(rest.swaps[0].id, "s-30");
    let bobs: SwapsResponse = yy.q(QueryMsg::SwapsByRecipient {
        recipient: bob.to_string(),
        start_after: Some("s-10".into()),
        limit: Some(3),
    });
    let ids: Vec<&str> = bobs.swaps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["s-12", "s-14", "s-16"]);
    assert!(bobs.swaps.iter().all(|s| s.recipient == bob.to_string()));
    // A claimed swap leaves its recipient's listing.
    yy.exec_at(after(1), &bob, &[], claim_msg("s-12", &secret(12)))
        .unwrap();
    let bobs: SwapsResponse = yy.q(QueryMsg::SwapsByRecipient {
        recipient: bob.to_string(),
        start_after: Some("s-10".into()),
        limit: Some(1),
    });
    assert_eq!(bobs.swaps[0].id, "s-14");
}

#[test]
fn migration_keeps_state_and_refuses_another_contracts() {
    let mut yy = Yy::new();
    yy.register(voucher("uatom", "channel-0", Limits::default()))
        .unwrap();
    let r = migrate(yy.deps.as_mut(), after(1), MigrateMsg {}).unwrap();
    assert!(r
        .attributes
        .iter()
        .any(|a| a.key == "from_version" && a.value == env!("CARGO_PKG_VERSION")));
    assert_eq!(yy.altcoin(ATOM_ON_CHANNEL_0).status, Status::Active);
    crate::state::CONTRACT_VERSION
        .save(
            yy.deps.as_mut().storage,
            &crate::state::ContractVersion {
                contract: "amm".into(),
                version: "0.1.0".into(),
            },
        )
        .unwrap();
    assert!(matches!(
        migrate(yy.deps.as_mut(), after(1), MigrateMsg {}).unwrap_err(),
        ContractError::WrongContract { .. }
    ));
}

/// The quotas of the property below and its model of them.
const MODEL_QUOTAS: [(u64, u128, u128); 2] = [(300, 1_000, 700), (3_600, 2_500, 1_800)];

#[derive(Clone, Copy, Debug)]
struct ModelFlow {
    inflow: u128,
    outflow: u128,
    start: Option<u64>,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any sequence of sends, receives and undos, with time moving by up to a few minutes:
    /// the contract accepts exactly what a direct model of the fixed windows accepts, and no
    /// quota's recorded flow ever exceeds its max.
    #[test]
    fn no_recorded_flow_ever_exceeds_its_max(
        ops in proptest::collection::vec((0u8..3, 0u128..900, 0u64..120), 1..60)
    ) {
        let mut yy = Yy::new();
        let d = ATOM_ON_CHANNEL_0;
        let quotas = MODEL_QUOTAS
            .iter()
            .enumerate()
            .map(|(i, (w, i_max, o_max))| quota(&format!("q{i}"), *w, *i_max, *o_max))
            .collect();
        yy.register(voucher("uatom", "channel-0", limits(quotas, None))).unwrap();
        let mut model = [ModelFlow { inflow: 0, outflow: 0, start: None }; 2];
        let mut dt = 0u64;
        for (kind, amount, step) in ops {
            dt += step;
            let now = T0 + dt;
            // The model's windows as the packet sees them.
            let mut seen = model;
            for (m, (w, _, _)) in seen.iter_mut().zip(MODEL_QUOTAS) {
                if m.start.is_none_or(|s| now >= s + w) {
                    *m = ModelFlow { inflow: 0, outflow: 0, start: Some(now) };
                }
            }
            match kind {
                0 | 1 => {
                    let inbound = kind == 0;
                    let fits = seen.iter().zip(MODEL_QUOTAS).all(|(m, (_, i_max, o_max))| {
                        if inbound { m.inflow + amount <= i_max } else { m.outflow + amount <= o_max }
                    });
                    let r = if inbound { yy.recv(dt, d, amount) } else { yy.send(dt, d, amount) };
                    prop_assert_eq!(r.is_ok(), fits, "op {} of {} at +{}s", kind, amount, dt);
                    if fits {
                        for m in seen.iter_mut() {
                            if inbound { m.inflow += amount } else { m.outflow += amount }
                        }
                        model = seen;
                    }
                }
                _ => {
                    yy.undo(dt, d, amount).unwrap();
                    for (m, (w, _, _)) in model.iter_mut().zip(MODEL_QUOTAS) {
                        if m.start.is_some_and(|s| now < s + w) {
                            m.outflow = m.outflow.saturating_sub(amount);
                        }
                    }
                }
            }
            let flows = yy.flows(dt, d);
            for (i, ((inflow, outflow), (w, i_max, o_max))) in flows.iter().zip(MODEL_QUOTAS).enumerate() {
                prop_assert!(*inflow <= i_max && *outflow <= o_max, "quota {} over its max", i);
                let live = model[i].start.is_some_and(|s| now < s + w);
                let want = if live { (model[i].inflow, model[i].outflow) } else { (0, 0) };
                prop_assert_eq!((*inflow, *outflow), want, "quota {} at +{}s", i, dt);
            }
        }
    }

    /// With a breaker, the recorded inflow stays under it, and once it trips every packet of the
    /// altcoin is refused until it is resumed.
    #[test]
    fn the_breaker_holds_inflow_under_it(amounts in proptest::collection::vec(1u128..400, 1..40)) {
        let mut yy = Yy::new();
        let d = ATOM_ON_CHANNEL_0;
        yy.register(voucher(
            "uatom",
            "channel-0",
            limits(vec![quota("hour", 3_600, 5_000, 5_000)], Some(2_000)),
        ))
        .unwrap();
        let mut tripped = false;
        for (i, a) in amounts.into_iter().enumerate() {
            let r = yy.recv(i as u64, d, a);
            if tripped {
                prop_assert!(matches!(r, Err(ContractError::Paused { .. })), "not refused after the trip");
                continue;
            }
            let r = r.unwrap();
            tripped = matches!(verdict(&r), PacketVerdict::Refuse { .. });
            prop_assert!(yy.flows(i as u64, d)[0].0 < 2_000);
        }
    }
}

//! The contract through its entry points, on mock storage.

use cosmwasm_std::testing::{
    message_info, mock_dependencies, mock_env, MockApi, MockQuerier, MockStorage,
};
use cosmwasm_std::{coin, from_json, Addr, BankMsg, Coin, CosmosMsg, Env, OwnedDeps, Response};
use proptest::prelude::*;

use crate::contract::{execute, instantiate, query, sudo};
use crate::error::ContractError;
use crate::msg::{
    ExecuteMsg, InstantiateMsg, Params, PendingResponse, PoolResponse, QueryMsg, QuoteResponse,
    SharesResponse, SudoMsg, TwapResponse, PRICE_SCALE, U128,
};

type Deps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

const BASE: &str = "uxyz";
const QUOTE: &str = "uusd";

fn params() -> Params {
    Params {
        swap_fee_bps: 30,
        max_swap_bps: 1_000,
        max_block_bps: 2_000,
        band_bps: 1_500,
        twap_blocks: 10,
        cooldown_blocks: 5,
    }
}

fn env_at(height: u64) -> Env {
    let mut e = mock_env();
    e.block.height = height;
    e
}

struct Amm {
    deps: Deps,
    gov: Addr,
}

impl Amm {
    fn new(p: Params) -> Amm {
        let mut deps = mock_dependencies();
        let gov = deps.api.addr_make("gov");
        let admin = deps.api.addr_make("admin");
        instantiate(
            deps.as_mut(),
            env_at(1),
            message_info(&admin, &[]),
            InstantiateMsg {
                governance: gov.to_string(),
                base_denom: BASE.into(),
                params: p,
            },
        )
        .unwrap();
        Amm { deps, gov }
    }

    fn addr(&self, name: &str) -> Addr {
        self.deps.api.addr_make(name)
    }

    fn exec(
        &mut self,
        height: u64,
        who: &Addr,
        funds: &[Coin],
        msg: ExecuteMsg,
    ) -> Result<Response, ContractError> {
        execute(
            self.deps.as_mut(),
            env_at(height),
            message_info(who, funds),
            msg,
        )
    }

    fn end_block(&mut self, height: u64) -> Response {
        sudo(self.deps.as_mut(), env_at(height), SudoMsg::EndBlock {}).unwrap()
    }

    fn q<T: serde::de::DeserializeOwned>(&self, height: u64, msg: QueryMsg) -> T {
        from_json(query(self.deps.as_ref(), env_at(height), msg).unwrap()).unwrap()
    }

    fn pool(&self) -> PoolResponse {
        self.q(1, QueryMsg::Pool { pool: 1 })
    }

    fn create(&mut self, height: u64, base: u128, quote: u128) -> Addr {
        let lp = self.addr("lp");
        self.exec(
            height,
            &lp,
            &[coin(base, BASE), coin(quote, QUOTE)],
            ExecuteMsg::CreatePool {},
        )
        .unwrap();
        lp
    }

    fn swap(&mut self, height: u64, who: &Addr, offer: Coin, min_out: u128) {
        self.exec(
            height,
            who,
            &[offer],
            ExecuteMsg::Swap {
                pool: 1,
                min_out: U128(min_out),
                deadline: None,
            },
        )
        .unwrap();
    }
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

#[test]
fn pools_follow_uniswap_v2s_figures() {
    let mut amm = Amm::new(params());
    let lp = amm.create(5, 1_000_000, 2_000_000);
    let shares: SharesResponse = amm.q(
        5,
        QueryMsg::Shares {
            pool: 1,
            owner: lp.to_string(),
        },
    );
    assert_eq!(
        shares.shares,
        U128(1_414_213 - 1_000),
        "sqrt(x*y) - 1000 locked"
    );
    let p = amm.pool();
    assert_eq!(p.price, U128(2 * PRICE_SCALE));

    // 10_000 base at 0.3%: 9_970 · 2e6 / (1e6 + 2 · 9_970) = 19_550 (the batch's price; a
    // limit above it is refunded whole).
    let trader = amm.addr("trader");
    amm.swap(6, &trader, coin(10_000, BASE), 19_551);
    let r = amm.end_block(6);
    assert_eq!(sends(&r), [(trader.to_string(), BASE.to_string(), 10_000)]);
    amm.swap(7, &trader, coin(10_000, BASE), 19_550);
    let r = amm.end_block(7);
    assert_eq!(sends(&r), [(trader.to_string(), QUOTE.to_string(), 19_550)]);
    let p = amm.pool();
    assert_eq!(
        (p.base_reserve, p.quote_reserve),
        (U128(1_010_000), U128(1_980_450))
    );

    // Adding at the pool's ratio: the smaller side whole, the other rounded up, the rest back.
    let lp2 = amm.addr("lp2");
    let r = amm
        .exec(
            8,
            &lp2,
            &[coin(101_000, BASE), coin(500_000, QUOTE)],
            ExecuteMsg::AddLiquidity {
                pool: 1,
                min_shares: U128(1),
            },
        )
        .unwrap();
    // quote used = ceil(101_000 * 1_980_450 / 1_010_000) = 198_045; shares = 101_000 * S / x
    assert_eq!(
        sends(&r),
        [(lp2.to_string(), QUOTE.to_string(), 500_000 - 198_045)]
    );
    let s2: SharesResponse = amm.q(
        8,
        QueryMsg::Shares {
            pool: 1,
            owner: lp2.to_string(),
        },
    );
    assert_eq!(s2.shares, U128(101_000 * 1_414_213 / 1_010_000));
}

#[test]
fn shares_added_in_a_block_cannot_leave_in_it() {
    let mut amm = Amm::new(params());
    let lp = amm.create(5, 1_000_000, 1_000_000);
    let remove = |n: u128| ExecuteMsg::RemoveLiquidity {
        pool: 1,
        shares: U128(n),
        min_base: U128(0),
        min_quote: U128(0),
    };
    assert_eq!(
        amm.exec(5, &lp, &[], remove(1_000)).unwrap_err(),
        ContractError::SameBlockRemoval
    );
    // Moved to another account, they are locked there for the block too.
    let other = amm.addr("other");
    amm.exec(
        6,
        &lp,
        &[],
        ExecuteMsg::TransferShares {
            pool: 1,
            recipient: other.to_string(),
            amount: U128(10_000),
        },
    )
    .unwrap();
    assert_eq!(
        amm.exec(6, &other, &[], remove(10_000)).unwrap_err(),
        ContractError::SameBlockRemoval
    );
    let r = amm.exec(7, &other, &[], remove(10_000)).unwrap();
    assert_eq!(
        sends(&r),
        [
            (other.to_string(), BASE.to_string(), 10_000),
            (other.to_string(), QUOTE.to_string(), 10_000)
        ]
    );
    assert!(matches!(
        amm.exec(7, &other, &[], remove(1)).unwrap_err(),
        ContractError::NotEnoughShares { .. }
    ));
}

#[test]
fn volume_limits_bound_one_swap_and_one_block() {
    let mut amm = Amm::new(params());
    amm.create(5, 1_000_000, 1_000_000);
    let t = amm.addr("t");
    let go = |amm: &mut Amm, h: u64, amount: u128| {
        amm.exec(
            h,
            &t,
            &[coin(amount, BASE)],
            ExecuteMsg::Swap {
                pool: 1,
                min_out: U128(0),
                deadline: None,
            },
        )
    };
    // 10% of the reserve per swap, 20% per block and side.
    assert!(matches!(
        go(&mut amm, 6, 100_001).unwrap_err(),
        ContractError::SwapTooLarge { max: 100_000, .. }
    ));
    go(&mut amm, 6, 100_000).unwrap();
    go(&mut amm, 6, 100_000).unwrap();
    assert!(matches!(
        go(&mut amm, 6, 1).unwrap_err(),
        ContractError::BlockVolumeFull { .. }
    ));
    // The other side has its own room.
    amm.exec(
        6,
        &t,
        &[coin(100_000, QUOTE)],
        ExecuteMsg::Swap {
            pool: 1,
            min_out: U128(0),
            deadline: None,
        },
    )
    .unwrap();
    amm.end_block(6);
    go(&mut amm, 7, 100_000).unwrap();
    let late = amm.exec(
        8,
        &t,
        &[coin(10, BASE)],
        ExecuteMsg::Swap {
            pool: 1,
            min_out: U128(0),
            deadline: Some(7),
        },
    );
    assert_eq!(late.unwrap_err(), ContractError::DeadlinePassed(7));
}

#[test]
fn the_circuit_breaker_refunds_a_block_far_from_the_twap_and_halts_the_pool() {
    let mut amm = Amm::new(Params {
        band_bps: 500,
        ..params()
    });
    amm.create(5, 1_000_000, 1_000_000);
    let t = amm.addr("t");
    // Ten quiet blocks give the TWAP a history.
    amm.swap(20, &t, coin(100_000, BASE), 0); // would clear ~17% below the TWAP of 1.0
    let r = amm.end_block(20);
    assert_eq!(
        sends(&r),
        [(t.to_string(), BASE.to_string(), 100_000)],
        "refunded whole"
    );
    let attr = |r: &Response, k: &str| {
        r.events[0]
            .attributes
            .iter()
            .find(|a| a.key == k)
            .map(|a| a.value.clone())
    };
    assert_eq!(attr(&r, "breaker").as_deref(), Some("tripped"));
    let p = amm.pool();
    assert_eq!((p.base_reserve, p.halted_until), (U128(1_000_000), 25));
    let err = amm
        .exec(
            21,
            &t,
            &[coin(10, BASE)],
            ExecuteMsg::Swap {
                pool: 1,
                min_out: U128(0),
                deadline: None,
            },
        )
        .unwrap_err();
    assert_eq!(err, ContractError::Halted { pool: 1, until: 25 });
    assert_eq!(
        amm.exec(21, &t, &[], ExecuteMsg::ResumePool { pool: 1 })
            .unwrap_err(),
        ContractError::NotGovernance
    );
    let gov = amm.gov.clone();
    amm.exec(21, &gov, &[], ExecuteMsg::ResumePool { pool: 1 })
        .unwrap();
    // A swap inside the band clears.
    amm.swap(21, &t, coin(10_000, BASE), 0);
    let r = amm.end_block(21);
    assert_eq!(sends(&r).len(), 1);
    assert_eq!(attr(&r, "filled").as_deref(), Some("1"));
}

#[test]
fn the_twap_is_the_hand_computation_and_a_price_moved_within_a_block_never_reaches_it() {
    let mut amm = Amm::new(params());
    amm.create(10, 1_000_000, 1_000_000); // price 1.0 from height 10
    let (a, b) = (amm.addr("a"), amm.addr("b"));
    // Block 20: a large buy and the sale that undoes it clear together: no price move at all.
    amm.swap(20, &a, coin(100_000, QUOTE), 0);
    amm.swap(20, &b, coin(100_000, BASE), 0);
    amm.end_block(20);
    assert_eq!(amm.pool().price, U128(PRICE_SCALE));
    let tw: TwapResponse = amm.q(
        30,
        QueryMsg::Twap {
            pool: 1,
            window: 20,
        },
    );
    assert_eq!((tw.price, tw.window), (U128(PRICE_SCALE), 20));

    // Block 30: a sale moves the price to p1, held until block 40 moves it to p2.
    amm.swap(30, &b, coin(50_000, BASE), 0);
    amm.end_block(30);
    let p1 = amm.pool().price.0;
    amm.swap(40, &a, coin(20_000, QUOTE), 0);
    amm.end_block(40);
    let p2 = amm.pool().price.0;
    assert!(p1 < PRICE_SCALE && p2 > p1);
    // At 45 over 25 blocks (20..45): 10 blocks at 1.0, 10 at p1, 5 at p2.
    let tw: TwapResponse = amm.q(
        45,
        QueryMsg::Twap {
            pool: 1,
            window: 25,
        },
    );
    let hand = (10 * PRICE_SCALE + 10 * p1 + 5 * p2) / 25;
    assert_eq!((tw.price.0, tw.window), (hand, 25));
    // A window longer than the pool's life starts at its creation.
    let tw: TwapResponse = amm.q(
        45,
        QueryMsg::Twap {
            pool: 1,
            window: 1_000,
        },
    );
    assert_eq!(tw.window, 35);
    assert_eq!(tw.price.0, (20 * PRICE_SCALE + 10 * p1 + 5 * p2) / 35);
}

#[test]
fn creation_refuses_what_it_cannot_price() {
    let mut amm = Amm::new(params());
    let lp = amm.addr("lp");
    let create = |amm: &mut Amm, funds: &[Coin]| amm.exec(5, &lp, funds, ExecuteMsg::CreatePool {});
    assert!(matches!(
        create(&mut amm, &[coin(1_000, BASE)]).unwrap_err(),
        ContractError::WrongFunds(_)
    ));
    assert!(matches!(
        create(&mut amm, &[coin(1_000, BASE), coin(1_000, QUOTE)]).unwrap_err(),
        ContractError::PoolTooSmall { .. }
    ));
    create(&mut amm, &[coin(10_000, BASE), coin(10_000, QUOTE)]).unwrap();
    assert_eq!(
        create(&mut amm, &[coin(10_000, BASE), coin(10_000, QUOTE)]).unwrap_err(),
        ContractError::PoolExists(QUOTE.into())
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any sequence of blocks of swaps and liquidity moves: `x·y` per share never falls, and no
    /// coin is created or lost (what the pool holds plus what it paid out equals what it took).
    #[test]
    fn no_sequence_creates_value_or_lowers_k(
        blocks in proptest::collection::vec(
            proptest::collection::vec((any::<bool>(), 1u128..90_000, 0u8..4), 1..6),
            1..8,
        )
    ) {
        let mut amm = Amm::new(params());
        amm.create(5, 1_000_000, 3_000_000);
        let lp = amm.addr("lp");
        let (mut base_in, mut quote_in) = (1_000_000u128, 3_000_000u128);
        let (mut base_out, mut quote_out) = (0u128, 0u128);
        let mut k_per_share = {
            let p = amm.pool();
            (p.base_reserve.0 * p.quote_reserve.0) as f64 / (p.total_shares.0 as f64).powi(2)
        };
        for (b, swaps) in blocks.iter().enumerate() {
            let h = 10 + b as u64;
            for (n, (offer_base, amount, kind)) in swaps.iter().enumerate() {
                let who = amm.addr(&format!("t{n}"));
                let (denom, amount) = if *offer_base { (BASE, *amount) } else { (QUOTE, *amount * 3) };
                match kind {
                    0 => {
                        // liquidity in, or out (of shares added before this block)
                        let r = amm.exec(h, &lp, &[], ExecuteMsg::RemoveLiquidity {
                            pool: 1, shares: U128(amount / 10 + 1), min_base: U128(0), min_quote: U128(0),
                        });
                        if let Ok(r) = r {
                            for (_, d, a) in sends(&r) {
                                if d == BASE { base_out += a } else { quote_out += a }
                            }
                        }
                    }
                    _ => {
                        let r = amm.exec(h, &who, &[coin(amount, denom)], ExecuteMsg::Swap {
                            pool: 1, min_out: U128(0), deadline: None,
                        });
                        if r.is_ok() {
                            if *offer_base { base_in += amount } else { quote_in += amount }
                        }
                    }
                }
            }
            let r = amm.end_block(h);
            for (_, d, a) in sends(&r) {
                if d == BASE { base_out += a } else { quote_out += a }
            }
            let p = amm.pool();
            prop_assert_eq!(p.base_reserve.0 + base_out, base_in, "base conserved");
            prop_assert_eq!(p.quote_reserve.0 + quote_out, quote_in, "quote conserved");
            let k = (p.base_reserve.0 * p.quote_reserve.0) as f64 / (p.total_shares.0 as f64).powi(2);
            prop_assert!(k >= k_per_share * (1.0 - 1e-12), "k per share fell: {} -> {}", k_per_share, k);
            k_per_share = k;
        }
    }

    /// One block's clearing: every filled swap gets no more than its input is worth at the
    /// clearing price, and the pool's `x·y` does not fall.
    #[test]
    fn a_clearing_never_pays_more_than_the_price(
        x in 1_000u128..1_000_000_000_000,
        y in 1_000u128..1_000_000_000_000,
        swaps in proptest::collection::vec((any::<bool>(), 1u128..1_000_000_000), 0..20),
        fee in 0u32..100,
    ) {
        let queued: Vec<crate::state::Queued> = swaps
            .iter()
            .map(|(b, a)| crate::state::Queued {
                trader: Addr::unchecked("t"),
                offer_base: *b,
                amount: *a,
                min_out: 0,
                deadline: None,
            })
            .collect();
        let o = crate::clearing::clear(x, y, fee, &queued, 1).unwrap();
        prop_assert!(crate::math::product(o.base, o.quote) >= crate::math::product(x, y));
        if let Some((num, den)) = o.price {
            for (i, out) in &o.fills {
                let s = &queued[*i];
                let worth = if s.offer_base {
                    cosmwasm_std::Uint256::from(s.amount) * cosmwasm_std::Uint256::from(num)
                        / cosmwasm_std::Uint256::from(den)
                } else {
                    cosmwasm_std::Uint256::from(s.amount) * cosmwasm_std::Uint256::from(den)
                        / cosmwasm_std::Uint256::from(num)
                };
                prop_assert!(cosmwasm_std::Uint256::from(*out) <= worth);
            }
        }
    }
}

#[test]
fn a_pool_whose_clearing_fails_refunds_its_swaps_and_keeps_working() {
    let mut amm = Amm::new(params());
    // A quote reserve so close to u128::MAX that the block's inputs overflow the arithmetic.
    let quote = u128::MAX - 10u128.pow(30);
    amm.create(5, 10u128.pow(20), quote);
    let t = amm.addr("t");
    let big = 2 * 10u128.pow(37);
    amm.swap(6, &t, coin(big, QUOTE), 0);
    let r = amm.end_block(6);
    assert_eq!(
        sends(&r),
        [(t.to_string(), QUOTE.to_string(), big)],
        "refunded whole"
    );
    assert!(r.events[0].attributes.iter().any(|a| a.key == "failed"));
    let p = amm.pool();
    assert_eq!(p.quote_reserve, U128(quote), "nothing moved");
    let pending: crate::msg::PendingResponse = amm.q(6, QueryMsg::Pending { pool: 1 });
    assert!(pending.swaps.is_empty());
    // The pool still clears what its arithmetic holds.
    amm.swap(7, &t, coin(10u128.pow(18), BASE), 1);
    let r = amm.end_block(7);
    assert_eq!(sends(&r).len(), 1);
    assert!(r.events[0]
        .attributes
        .iter()
        .any(|a| a.key == "filled" && a.value == "1"));
}

#[test]
fn busy_pools_take_turns_at_the_end_of_the_block() {
    let mut amm = Amm::new(params());
    let lp = amm.addr("lp");
    let t = amm.addr("t");
    let n = crate::contract::MAX_POOLS_PER_BLOCK as u64 + 4;
    for i in 0..n {
        amm.exec(
            5,
            &lp,
            &[coin(1_000_000, BASE), coin(1_000_000, format!("d{i}"))],
            ExecuteMsg::CreatePool {},
        )
        .unwrap();
    }
    let queue_all = |amm: &mut Amm, h: u64| {
        for pool in 1..=n {
            amm.exec(
                h,
                &t,
                &[coin(1_000, BASE)],
                ExecuteMsg::Swap {
                    pool,
                    min_out: U128(0),
                    deadline: None,
                },
            )
            .unwrap();
        }
    };
    let cleared = |r: &Response| -> Vec<u64> {
        r.events
            .iter()
            .map(|e| e.attributes[0].value.parse().unwrap())
            .collect()
    };
    let k = crate::contract::MAX_POOLS_PER_BLOCK as u64;
    queue_all(&mut amm, 10);
    let first = cleared(&amm.end_block(10));
    assert_eq!(first, (1..=k).collect::<Vec<_>>());
    let second = cleared(&amm.end_block(11));
    assert_eq!(
        second,
        (k + 1..=n).collect::<Vec<_>>(),
        "the rest, next block"
    );
    queue_all(&mut amm, 12);
    assert_eq!(cleared(&amm.end_block(12)), (1..=k).collect::<Vec<_>>());
    queue_all(&mut amm, 13);
    // Pools k+1.. have waited longest: they go first.
    let fourth = cleared(&amm.end_block(13));
    assert_eq!(fourth, (k + 1..=k + 4).collect::<Vec<_>>());
}

#[test]
fn a_quote_is_the_fill_the_block_gives_with_the_swaps_already_queued() {
    let mut amm = Amm::new(params());
    amm.create(1, 1_000_000, 2_000_000);
    let (t, u) = (amm.addr("t"), amm.addr("u"));
    amm.swap(2, &t, coin(30_000, QUOTE), 0);
    let q: QuoteResponse = amm.q(
        2,
        QueryMsg::Quote {
            pool: 1,
            offer_denom: BASE.into(),
            amount: U128(10_000),
        },
    );
    assert_eq!(q.queued, 1);
    // Nothing was queued by the quote.
    let pending: PendingResponse = amm.q(2, QueryMsg::Pending { pool: 1 });
    assert_eq!(pending.swaps.len(), 1);
    amm.swap(2, &u, coin(10_000, BASE), 0);
    let r = amm.end_block(2);
    let got = sends(&r)
        .into_iter()
        .find(|(to, _, _)| *to == u.to_string())
        .unwrap();
    assert_eq!(got, (u.to_string(), QUOTE.to_string(), q.out.0));
    let clearing = r.events[0]
        .attributes
        .iter()
        .find(|a| a.key == "clearing_price")
        .unwrap();
    assert_eq!(q.price.0.to_string(), clearing.value);
    // A denom the pool does not trade is refused.
    let bad = query(
        amm.deps.as_ref(),
        env_at(3),
        QueryMsg::Quote {
            pool: 1,
            offer_denom: "uatom".into(),
            amount: U128(1),
        },
    );
    assert!(bad.is_err());
}

#[test]
fn a_quote_refuses_what_a_swap_would_and_gives_nothing_the_breaker_or_a_halt_would_refund() {
    let mut amm = Amm::new(Params {
        band_bps: 500,
        ..params()
    });
    amm.create(5, 1_000_000, 1_000_000);
    let quote = |amm: &Amm, height: u64, amount: u128| {
        query(
            amm.deps.as_ref(),
            env_at(height),
            QueryMsg::Quote {
                pool: 1,
                offer_denom: BASE.into(),
                amount: U128(amount),
            },
        )
        .map(|b| from_json::<QuoteResponse>(b).unwrap())
    };
    // Over max_swap_bps (10% of the reserve) and zero: the swap's own errors.
    assert!(matches!(
        quote(&amm, 19, 100_001),
        Err(ContractError::SwapTooLarge { .. })
    ));
    assert!(quote(&amm, 19, 0).is_err());
    // Would clear ~17% below the TWAP: the breaker refunds the batch, so nothing is quoted.
    assert_eq!(quote(&amm, 19, 100_000).unwrap().out, U128(0));
    assert!(quote(&amm, 19, 1_000).unwrap().out.0 > 0);
    let t = amm.addr("t");
    amm.swap(20, &t, coin(100_000, BASE), 0);
    amm.end_block(20);
    // Halted until 25: a quote at the last committed block 23 is for block 24, still halted;
    // at 24 it is for block 25, when swaps are taken again.
    assert_eq!(quote(&amm, 23, 1_000).unwrap().out, U128(0));
    assert!(quote(&amm, 24, 1_000).unwrap().out.0 > 0);
}

#[test]
fn the_volume_limit_bounds_a_batch_that_waits_across_blocks() {
    // Pool k+1 waits while the k pools before it clear: what it queued in block 10 is still its
    // batch in block 11, so block 11 cannot add another block's worth on top of it. (A wide
    // band: the full batch moves the price far, and the breaker is not what this is about.)
    let mut amm = Amm::new(Params {
        band_bps: 5_000,
        ..params()
    });
    let lp = amm.addr("lp");
    let t = amm.addr("t");
    let k = crate::contract::MAX_POOLS_PER_BLOCK as u64;
    for i in 0..=k {
        amm.exec(
            5,
            &lp,
            &[coin(1_000_000, BASE), coin(1_000_000, format!("d{i}"))],
            ExecuteMsg::CreatePool {},
        )
        .unwrap();
    }
    let swap = |amm: &mut Amm, h: u64, pool: u64, amount: u128| {
        amm.exec(
            h,
            &t,
            &[coin(amount, BASE)],
            ExecuteMsg::Swap {
                pool,
                min_out: U128(0),
                deadline: None,
            },
        )
    };
    for pool in 1..=k {
        swap(&mut amm, 10, pool, 1_000).unwrap();
    }
    // max_block_bps is 20% of the reserve, max_swap_bps 10%: two full swaps fill the batch.
    swap(&mut amm, 10, k + 1, 100_000).unwrap();
    swap(&mut amm, 10, k + 1, 100_000).unwrap();
    amm.end_block(10);
    let pending: PendingResponse = amm.q(11, QueryMsg::Pending { pool: k + 1 });
    assert_eq!(pending.swaps.len(), 2, "pool k+1 waited");
    assert!(matches!(
        swap(&mut amm, 11, k + 1, 1).unwrap_err(),
        ContractError::BlockVolumeFull { .. }
    ));
    // Once its batch clears, the pool takes a full batch again.
    amm.end_block(11);
    swap(&mut amm, 12, k + 1, 100_000).unwrap();
}

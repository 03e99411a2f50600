//! `proof tx ibc transfer`: send a coin over an ICS-20 channel.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use cosmos_sdk_proto::Any;
use ibc_proto::ibc::applications::transfer::v1::MsgTransfer;
use ibc_proto::ibc::core::client::v1::Height;
use prost::Message;

use crate::submit::{submit_one, TxFlags, TxSpec};
use crate::util::parse_one_coin;
use crate::Ctx;

#[derive(Subcommand)]
pub enum IbcTx {
    /// Send AMOUNT (e.g. 1000uxyz, or an ibc/<HASH> voucher) over CHANNEL to RECEIVER on the
    /// other chain (an address in that chain's format). It times out (and is refunded) if not
    /// received by --timeout-height or within --timeout-secs, whichever comes first
    Transfer {
        /// The channel on this chain, e.g. channel-0
        channel: String,
        /// The recipient on the other chain
        receiver: String,
        amount: String,
        #[arg(long, default_value = "transfer")]
        port: String,
        /// The other chain's height (REVISION-HEIGHT) after which it may no longer receive
        #[arg(long)]
        timeout_height: Option<String>,
        /// Seconds from now after which the other chain may no longer receive it
        #[arg(long, default_value_t = 600)]
        timeout_secs: u64,
        #[arg(long, default_value = "")]
        ibc_memo: String,
        #[command(flatten)]
        tx: TxFlags,
    },
}

fn parse_height(s: &str) -> Result<Height> {
    let (rev, h) = s
        .split_once('-')
        .context("--timeout-height is REVISION-HEIGHT, e.g. 1-5000")?;
    Ok(Height {
        revision_number: rev.parse().context("revision")?,
        revision_height: h.parse().context("height")?,
    })
}

pub async fn run(ctx: &Ctx, cmd: IbcTx) -> Result<()> {
    match cmd {
        IbcTx::Transfer {
            channel,
            receiver,
            amount,
            port,
            timeout_height,
            timeout_secs,
            ibc_memo,
            tx,
        } => {
            let coin = parse_one_coin(&amount, "amount")?;
            let timeout_height = timeout_height.as_deref().map(parse_height).transpose()?;
            if timeout_height.is_none() && timeout_secs == 0 {
                bail!("a transfer needs a timeout: --timeout-height or --timeout-secs");
            }
            let spec = TxSpec::from_flags(ctx, &tx)?;
            let timeout_timestamp = if timeout_secs == 0 {
                0
            } else {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .context("clock before 1970")?;
                (now.as_secs() + timeout_secs) * 1_000_000_000
            };
            let msg = MsgTransfer {
                source_port: port,
                source_channel: channel,
                token: Some(ibc_proto::cosmos::base::v1beta1::Coin {
                    denom: coin.denom.clone(),
                    amount: coin.amount.to_string(),
                }),
                sender: spec.from.to_string(),
                receiver,
                timeout_height: Some(timeout_height.unwrap_or_default()),
                timeout_timestamp,
                memo: ibc_memo,
            };
            let any = Any {
                type_url: "/ibc.applications.transfer.v1.MsgTransfer".into(),
                value: msg.encode_to_vec(),
            };
            submit_one(ctx, &spec, any, true).await
        }
    }
}

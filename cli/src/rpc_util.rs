//! Calling the node's gRPC-over-ABCI query paths with errors that say what to do.

use anyhow::{bail, Context, Result};
use proof_sdk::rpc::RpcClient;
use prost::Message;

/// Like `RpcClient::grpc_query` but also returns the height the node answered at, so paginated
/// queries can pin every page to the height of the first one. Errors name the path and carry the
/// node's message (e.g. `rpc error: code = NotFound ...`), with a hint when the node does not know
/// the path at all.
pub async fn grpc<Req: Message, Resp: Message + Default>(
    rpc: &RpcClient,
    path: &str,
    req: &Req,
    height: Option<u64>,
) -> Result<(Resp, u64)> {
    let r = rpc
        .abci_query(path, &req.encode_to_vec(), height, false)
        .await?;
    if r.code != 0 {
        let mut msg = format!("{path} failed (code {}): {}", r.code, r.log);
        if r.log.to_ascii_lowercase().contains("unknown query path") {
            msg.push_str("\nhint: this node does not answer this query (yet)");
        }
        bail!(msg);
    }
    let resp = Resp::decode(r.value.as_slice())
        .with_context(|| format!("{path}: cannot decode the reply"))?;
    Ok((resp, r.height))
}

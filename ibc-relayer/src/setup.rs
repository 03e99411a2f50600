//! Creating what a path needs, step by step, each identifier written back to the config as
//! soon as it exists (a relayer killed half way resumes where it stopped).

use std::path::Path;

use anyhow::{Context, Result};

use crate::chain::Chain;
use crate::client;
use crate::config::Config;
use crate::handshake::{self, ChannelEnds};

/// Creates a client of `reference` on `host`; returns its id.
pub async fn create_client(host: &Chain, reference: &Chain) -> Result<String> {
    let msg = client::create_client_msg(host, reference).await?;
    let r = host.send(vec![msg]).await?;
    let id = client::created_client_id(&r)?;
    tracing::info!(host = host.id(), reference = reference.id(), client = %id, "client created");
    Ok(id)
}

/// Brings path `name` up to an open channel, creating whatever is missing.
pub async fn create_path(
    cfg: &mut Config,
    file: &Path,
    name: &str,
    a: &Chain,
    b: &Chain,
) -> Result<()> {
    if cfg.path(name)?.a.client.is_none() {
        let id = create_client(a, b).await?;
        cfg.path_mut(name)?.a.client = Some(id);
        cfg.save(file)?;
    }
    if cfg.path(name)?.b.client.is_none() {
        let id = create_client(b, a).await?;
        cfg.path_mut(name)?.b.client = Some(id);
        cfg.save(file)?;
    }
    let p = cfg.path(name)?.clone();
    let (client_a, client_b) = (
        p.a.client.clone().context("client")?,
        p.b.client.clone().context("client")?,
    );
    if p.a.connection.is_none() || p.b.connection.is_none() {
        let (ca, cb) = handshake::open_connection(a, b, &client_a, &client_b).await?;
        let pm = cfg.path_mut(name)?;
        pm.a.connection = Some(ca);
        pm.b.connection = Some(cb);
        cfg.save(file)?;
    }
    let p = cfg.path(name)?.clone();
    if p.a.channel.is_none() || p.b.channel.is_none() {
        let (conn_a, conn_b) = (
            p.a.connection.clone().context("connection")?,
            p.b.connection.clone().context("connection")?,
        );
        let ends = ChannelEnds {
            client_a: &client_a,
            client_b: &client_b,
            conn_a: &conn_a,
            conn_b: &conn_b,
            port_a: &p.a.port,
            port_b: &p.b.port,
            ordered: p.order == "ordered",
            version: &p.version,
        };
        let (cha, chb) = handshake::open_channel(a, b, &ends).await?;
        let pm = cfg.path_mut(name)?;
        pm.a.channel = Some(cha);
        pm.b.channel = Some(chb);
        cfg.save(file)?;
    }
    Ok(())
}

//! Helpers shared by the integration tests: running the built `proof` binary in an isolated home,
//! and a tiny fake CometBFT JSON-RPC node.
#![allow(dead_code)]

pub mod mock;
pub mod tx;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub const PASSWORD: &str = "correct horse battery staple 42";

/// A throwaway client home; every command gets `--home` and the password env var.
pub struct Env {
    pub home: tempfile::TempDir,
    pub password: Option<String>,
    pub fast_kdf: bool,
    pub node: Option<String>,
}

impl Env {
    pub fn new() -> Self {
        Self {
            home: tempfile::tempdir().unwrap(),
            password: Some(PASSWORD.into()),
            fast_kdf: true,
            node: None,
        }
    }

    pub fn with_node(url: &str) -> Self {
        Self {
            node: Some(url.to_string()),
            ..Self::new()
        }
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.home().join("keys")
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_proof"));
        c.arg("--home").arg(self.home()).args(args);
        // Never let the developer's own environment leak into a test.
        for var in [
            "PROOF_KEYRING_PASSWORD",
            "PROOF_KEYRING_INSECURE_FAST_KDF",
            "PROOF_NODE",
            "PROOF_HOME",
        ] {
            c.env_remove(var);
        }
        if let Some(pw) = &self.password {
            c.env("PROOF_KEYRING_PASSWORD", pw);
        }
        if self.fast_kdf {
            c.env("PROOF_KEYRING_INSECURE_FAST_KDF", "1");
        }
        if let Some(n) = &self.node {
            c.env("PROOF_NODE", n);
        }
        c
    }

    /// Runs with `stdin` as standard input (empty by default, never the terminal).
    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn proof");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_stdin(args, "")
    }

    /// Runs a command that must succeed and returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        self.ok_stdin(args, "")
    }

    pub fn ok_stdin(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run_stdin(args, stdin);
        assert!(
            out.status.success(),
            "proof {args:?} failed:\nstdout: {}\nstderr: {}",
            stdout(&out),
            stderr(&out)
        );
        stdout(&out)
    }

    /// Runs a command that must fail with exit code 1 and returns its stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        self.fails_stdin(args, "")
    }

    pub fn fails_stdin(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run_stdin(args, stdin);
        assert_eq!(
            out.status.code(),
            Some(1),
            "proof {args:?} should fail with exit code 1:\nstdout: {}\nstderr: {}",
            stdout(&out),
            stderr(&out)
        );
        stderr(&out)
    }

    /// Runs with `-o json` and parses stdout as one JSON document.
    pub fn json(&self, args: &[&str]) -> Value {
        self.json_stdin(args, "")
    }

    pub fn json_stdin(&self, args: &[&str], stdin: &str) -> Value {
        let mut full = vec!["-o", "json"];
        full.extend_from_slice(args);
        let out = self.ok_stdin(&full, stdin);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("stdout of {args:?} is not one JSON document ({e}):\n{out}"))
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

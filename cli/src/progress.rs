//! Progress display on stderr for long-running commands (uploads, waiting for a block).
//!
//! Nothing is drawn in JSON mode or when stderr is not a terminal: a bar would corrupt logs and
//! machine-readable output. Multi-step commands prefix each step with `[i/n]`.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::Ctx;

pub struct Progress {
    enabled: bool,
    steps: usize,
    step: usize,
}

impl Progress {
    /// A display for a command of `steps` steps (1 = no step prefix).
    pub fn new(ctx: &Ctx, steps: usize) -> Self {
        Self {
            enabled: !ctx.output.is_json() && std::io::stderr().is_terminal(),
            steps,
            step: 0,
        }
    }

    /// A display that never draws anything.
    #[cfg(test)]
    pub fn hidden() -> Self {
        Self {
            enabled: false,
            steps: 1,
            step: 0,
        }
    }

    fn prefix(&mut self) -> String {
        self.step += 1;
        if self.steps > 1 {
            format!("[{}/{}] ", self.step.min(self.steps), self.steps)
        } else {
            String::new()
        }
    }

    /// Starts the next step as a bar measured in bytes (`total` of them).
    pub fn bytes(&mut self, msg: &str, total: u64) -> Option<ProgressBar> {
        let prefix = self.prefix();
        if !self.enabled {
            return None;
        }
        let pb = ProgressBar::new(total);
        // Short enough for an 80-column terminal.
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:20}] {bytes}/{total_bytes}") {
            pb.set_style(style.progress_chars("=> "));
        }
        pb.set_message(format!("{prefix}{msg}"));
        Some(pb)
    }

    /// Starts the next step as a bar counting `total` items.
    pub fn count(&mut self, msg: &str, total: u64) -> Option<ProgressBar> {
        let prefix = self.prefix();
        if !self.enabled {
            return None;
        }
        let pb = ProgressBar::new(total);
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:20}] {pos}/{len}") {
            pb.set_style(style.progress_chars("=> "));
        }
        pb.set_message(format!("{prefix}{msg}"));
        Some(pb)
    }

    /// Starts the next step as a spinner (for work of unknown length).
    pub fn spinner(&mut self, msg: &str) -> Option<ProgressBar> {
        let prefix = self.prefix();
        if !self.enabled {
            return None;
        }
        let pb = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            pb.set_style(style);
        }
        pb.set_message(format!("{prefix}{msg}"));
        pb.enable_steady_tick(Duration::from_millis(100));
        Some(pb)
    }
}

/// Clears a finished bar or spinner, if one was drawn.
pub fn finish(pb: Option<ProgressBar>) {
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbered_only_for_multi_step_commands() {
        let mut p = Progress {
            enabled: false,
            steps: 3,
            step: 0,
        };
        assert_eq!(p.prefix(), "[1/3] ");
        assert_eq!(p.prefix(), "[2/3] ");
        let mut single = Progress::hidden();
        assert_eq!(single.prefix(), "");
        assert!(single.spinner("x").is_none());
        assert!(single.bytes("x", 10).is_none());
        assert!(single.count("x", 10).is_none());
    }
}

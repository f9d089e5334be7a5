//! A tmux pane driving the real binary, for the cockpit's end-to-end tests: a private server socket
//! per pane (killed on drop), keys in, the rendered screen out, wait-until polling with a deadline.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Makes sure tmux is installed: on a fresh Debian machine, as root, it is installed with apt-get
/// (as assets/base-images.sh does for busybox and debootstrap); otherwise the test fails saying so.
fn ensure_tmux() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let have = || {
            Command::new("tmux")
                .arg("-V")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if have() {
            return;
        }
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0"));
        assert!(root, "the terminal tests need tmux: apt-get install tmux");
        eprintln!("tmux missing: apt-get install tmux");
        let ok = Command::new("sh")
            .args([
                "-c",
                "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux",
            ])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok && have(), "could not install tmux with apt-get");
    });
}

pub struct Tmux {
    socket: String,
    _home: tempfile::TempDir,
}

impl Tmux {
    /// Starts `script` (a `sh -c` script) in a detached 120×40 session.
    pub fn start(script: &str, home: tempfile::TempDir) -> Tmux {
        ensure_tmux();
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let socket = format!("kyozo-test-{}-{n}", std::process::id());
        let t = Tmux {
            socket,
            _home: home,
        };
        let status = t
            .cmd()
            .args([
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "40",
                "-s",
                "t",
            ])
            .arg(script)
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        let _ = t
            .cmd()
            .args(["set-option", "-g", "escape-time", "0"])
            .status();
        let _ = t
            .cmd()
            .args(["set-option", "-g", "remain-on-exit", "on"])
            .status();
        t
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    pub fn screen(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-t", "t"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen with its SGR escape sequences (`capture-pane -e`).
    pub fn screen_escaped(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-e", "-p", "-t", "t"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            let st = self
                .cmd()
                .args(["send-keys", "-t", "t", k])
                .status()
                .unwrap();
            assert!(st.success());
            std::thread::sleep(Duration::from_millis(80));
        }
    }

    pub fn literal(&self, text: &str) {
        let st = self
            .cmd()
            .args(["send-keys", "-t", "t", "-l", text])
            .status()
            .unwrap();
        assert!(st.success());
        std::thread::sleep(Duration::from_millis(80));
    }

    pub fn pane(&self, format: &str) -> String {
        let out = self
            .cmd()
            .args(["display-message", "-p", "-t", "t", format])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until `pred` holds for the screen, or fails with the last screen.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn wait_text(&self, text: &str) -> String {
        self.wait_for(text, |s| s.contains(text))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

//! End-to-end: the real `kyozo` binary in a tmux pane on a fixture workspace, asserting on the
//! rendered screen (`capture-pane -p`) with wait-until polling. Each test runs its own tmux server
//! on a private socket, killed by a drop guard. No engine is used here: DOCKER_HOST points at a
//! socket that does not exist, so the header must say the engine is unreachable.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cockpit_tmux;

use std::path::{Path, PathBuf};
use std::process::Command;

use cockpit_tmux::Tmux;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cockpit/harbor")
}

/// The environment every run gets: no user config, a private store, no engine.
fn env(home: &Path) -> String {
    format!(
        "HOME={h} XDG_CONFIG_HOME={h}/config XDG_DATA_HOME={h}/data KYOZO_CONFIG={h}/none.toml \
         KYOZO_DB={h}/kyozo.redb DOCKER_HOST=unix://{h}/no-docker.sock TERM=screen-256color",
        h = home.display()
    )
}

#[test]
fn cockpit_shows_navigates_filters_helps_and_quits_cleanly() {
    let home = tempfile::tempdir().unwrap();
    let script = format!(
        "env {} {} {}; echo KYOZO-EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo; sleep 600",
        env(home.path()),
        env!("CARGO_BIN_EXE_kyozo"),
        fixture().display()
    );
    let t = Tmux::start(&script, home);

    // First screen: header, tree, services table, tabs, hints.
    let s = t.wait_for("the first frame with services", |s| {
        s.contains("Workspace") && s.contains("Services") && s.contains("worker")
    });
    assert!(s.contains("kyozo"), "{s}");
    assert!(s.contains("harbor"), "{s}");
    // the types and health as `kyozo detect --json` names them
    assert!(s.contains("◆ db compose_stack 2"), "{s}");
    assert!(s.contains("○ api containerized"), "{s}");
    assert!(s.contains("docs"), "{s}");
    assert!(s.contains("Logs │ Events │ Details │ Plan"), "{s}");
    assert!(s.contains("? help"), "{s}");
    t.wait_text("engine unreachable");
    assert!(t.screen().contains("0/3 running"));

    // Navigation: focus the table, go to the first row, show Details, move down.
    t.keys(&["Tab", "g", "3"]);
    t.wait_text("service      api (services/api)");
    t.keys(&["j"]);
    t.wait_text("service      db (db)");
    t.keys(&["j"]);
    t.wait_text("service      worker (services/worker)");
    t.keys(&["k", "k"]);
    t.wait_text("service      api (services/api)");

    // Filter: only worker remains in the table; esc clears.
    t.keys(&["/"]);
    t.literal("work");
    t.wait_text("filter: /work");
    t.keys(&["Enter"]);
    let s = t.wait_text("Workspace /work");
    assert!(!s.contains("◆ db"), "filtered tree still shows db:\n{s}");
    assert!(
        s.contains("service      worker"),
        "selection follows the filter:\n{s}"
    );
    t.keys(&["Escape"]);
    t.wait_for("the filter cleared", |s| {
        s.contains("◆ db") && !s.contains("Workspace /work")
    });

    // Help overlay lists the bindings with the action names [keys] takes; G goes to its end,
    // g back to its top; esc closes it.
    t.keys(&["?"]);
    let s = t.wait_text("Help");
    assert!(s.contains("deploy (build + run)"), "{s}");
    assert!(
        s.lines()
            .any(|l| l.contains("deploy_all") && l.contains(" a ")),
        "{s}"
    );
    t.keys(&["G"]);
    t.wait_text("force_quit");
    t.keys(&["g"]);
    t.wait_for("the help's top", |s| {
        s.contains("ACTION") && !s.contains("force_quit")
    });
    t.keys(&["Escape"]);
    t.wait_for("help closed", |s| !s.contains("deploy (build + run)"));

    // An action without engine explains itself.
    t.keys(&["d"]);
    t.wait_text("cannot deploy: engine unreachable");

    // Quit: exit code 0, alternate screen left, raw mode off (icanon and echo back on).
    t.keys(&["q"]);
    let s = t.wait_text("KYOZO-EXIT=0");
    assert!(!s.contains("Workspace"), "cockpit still on screen:\n{s}");
    let s = t.wait_for("stty output", |s| s.contains("icanon"));
    assert!(
        s.contains("icanon") && !s.contains("-icanon") && !s.contains("-echo"),
        "terminal not restored:\n{s}"
    );
}

#[test]
fn signals_restore_the_terminal_and_exit_with_128_plus_the_signal() {
    for (signal, status) in [("TERM", 143), ("HUP", 129), ("INT", 130)] {
        let home = tempfile::tempdir().unwrap();
        let script = format!(
            "env {} {} {}; echo KYOZO-EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon | tr '\\n' ' '; echo; sleep 600",
            env(home.path()),
            env!("CARGO_BIN_EXE_kyozo"),
            fixture().display()
        );
        let t = Tmux::start(&script, home);
        t.wait_text("Services");
        let shell = t.pane("#{pane_pid}");
        let out = Command::new("pgrep")
            .args(["-P", &shell, "-f", "kyozo"])
            .output()
            .unwrap();
        let pid = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .map(str::to_string)
            .unwrap_or_default();
        assert!(!pid.is_empty(), "no kyozo process under {shell}");
        let st = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(st.success());
        let s = t.wait_text("KYOZO-EXIT=");
        assert!(
            s.contains(&format!("KYOZO-EXIT={status}")),
            "SIG{signal}: want exit status {status}:\n{s}"
        );
        assert!(
            !s.contains("Workspace"),
            "SIG{signal}: cockpit still on screen:\n{s}"
        );
        let s = t.wait_for("stty output", |s| s.contains("icanon"));
        assert!(
            !s.contains("-icanon"),
            "SIG{signal}: raw mode left on:\n{s}"
        );
    }
}

#[test]
fn keys_act_only_on_the_visible_selection_and_redetect_says_when_done() {
    let home = tempfile::tempdir().unwrap();
    let script = format!(
        "env {} {} {}; sleep 600",
        env(home.path()),
        env!("CARGO_BIN_EXE_kyozo"),
        fixture().display()
    );
    let t = Tmux::start(&script, home);
    t.wait_text("worker");
    t.wait_text("engine unreachable");
    // The tree cursor on the api folder, then up onto `services`, a folder and not a service.
    t.keys(&["g"]);
    t.wait_for("the cursor on the root", |s| s.contains("Select a service"));
    t.keys(&["3"]);
    t.keys(&["j", "j", "j", "j"]);
    t.wait_text("service      api (services/api)");
    t.keys(&["k"]);
    t.wait_text("Select a service.");
    t.keys(&["d"]);
    t.wait_text("deploy: select a service first");
    // A filter nothing matches selects nothing either.
    t.keys(&["/"]);
    t.literal("zzz");
    t.keys(&["Enter"]);
    t.wait_text("no service matches /zzz");
    t.keys(&["r"]);
    t.wait_text("restart: select a service first");
    t.keys(&["Escape"]);
    t.wait_text("service      api (services/api)");
    // Nothing runs: cancel says so, from the key and the palette.
    t.keys(&["C-x"]);
    t.wait_text("nothing to cancel: no operation is running");
    t.keys(&[":"]);
    t.literal("cancel all");
    t.keys(&["Enter"]);
    t.wait_text("nothing to cancel: no operation is running");
    // ctrl-r: detection again, and how long it took.
    t.keys(&["C-r"]);
    let s = t.wait_text("detected 3 services in ");
    assert!(s.contains(" ms") || s.contains(" s"), "{s}");
}

#[test]
fn enter_opens_details_and_events_filter_from_the_palette() {
    let home = tempfile::tempdir().unwrap();
    let script = format!(
        "env {} {} -C {}; sleep 600",
        env(home.path()),
        env!("CARGO_BIN_EXE_kyozo"),
        fixture().display()
    );
    let t = Tmux::start(&script, home);
    t.wait_text("worker");
    // `-C` opened the workspace; on the tree, enter on a service shows its Details
    t.keys(&["g", "j", "j", "j", "j"]);
    t.wait_for("the cursor on api", |s| s.contains("api · follow"));
    t.keys(&["Enter"]);
    t.wait_text("service      api (services/api)");
    // the Events tab filtered from the palette: its title says so
    t.keys(&[":"]);
    t.literal("events fai");
    t.keys(&["Tab"]);
    t.wait_text("events failed");
    t.keys(&["Enter"]);
    let s = t.wait_text("api · events failed");
    assert!(s.contains("No deployment events for api yet"), "{s}");
    // :scale completes only what scales: db is a compose stack
    t.keys(&[":"]);
    t.literal("scale ");
    // the palette's rows are `│ NAME ...` (the table's are `││NAME`)
    let s = t.wait_for("the scale completions", |s| {
        s.contains(":scale ▏") && s.contains("│ api ") && s.contains("│ worker ")
    });
    let palette: Vec<&str> = s.lines().filter(|l| l.contains("│ db ")).collect();
    assert!(palette.is_empty(), "db offered to :scale:\n{s}");
    t.keys(&["Escape"]);
}

#[test]
fn bad_keymap_is_a_clear_error_at_start() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("bad.toml");
    std::fs::write(&config, "[keys]\ndeploy = \"ctrl-banana\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kyozo"))
        .arg(fixture())
        .env("KYOZO_CONFIG", &config)
        .env("KYOZO_DB", home.path().join("db.redb"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ctrl-banana") && err.contains("deploy"),
        "{err}"
    );

    std::fs::write(&config, "[keys]\ndeploy_everything = \"d\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kyozo"))
        .arg(fixture())
        .env("KYOZO_CONFIG", &config)
        .env("KYOZO_DB", home.path().join("db.redb"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown action `deploy_everything`"), "{err}");

    std::fs::write(&config, "[ui]\ntheme = \"neon\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kyozo"))
        .arg(fixture())
        .env("KYOZO_CONFIG", &config)
        .env("KYOZO_DB", home.path().join("db.redb"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("neon"), "{err}");
}

#[test]
fn without_a_terminal_the_cockpit_says_so() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kyozo"))
        .arg(fixture())
        .env("KYOZO_CONFIG", home.path().join("none.toml"))
        .env("KYOZO_DB", home.path().join("db.redb"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a terminal"), "{err}");
}

#[test]
fn missing_workspace_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_kyozo"))
        .arg("/nonexistent/kyozo/workspace")
        .env("KYOZO_CONFIG", "/nonexistent/kyozo.toml")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/kyozo/workspace"), "{err}");
}

/// Colour SGR codes in a captured screen: 30–37, 90–97, 38;5;n / 38;2 (and the bg forms).
fn colour_codes(screen: &str) -> usize {
    let re = regex::Regex::new(r"\x1b\[([0-9;]*)m").unwrap();
    re.captures_iter(screen)
        .filter(|c| {
            let params: Vec<&str> = c[1].split(';').collect();
            params.iter().enumerate().any(|(i, p)| {
                let n: u32 = p.parse().unwrap_or(0);
                let extended = (n == 38 || n == 48) && i + 1 < params.len();
                extended
                    || (30..=37).contains(&n)
                    || (40..=47).contains(&n)
                    || (90..=97).contains(&n)
            })
        })
        .count()
}

#[test]
fn no_color_gives_a_mono_screen() {
    for (no_color, want_colour) in [(true, false), (false, true)] {
        let home = tempfile::tempdir().unwrap();
        let script = format!(
            "env {} {} {} {}; sleep 600",
            env(home.path()),
            if no_color {
                "NO_COLOR=1"
            } else {
                "COLORTERM=truecolor"
            },
            env!("CARGO_BIN_EXE_kyozo"),
            fixture().display()
        );
        let t = Tmux::start(&script, home);
        t.wait_text("worker");
        t.wait_text("engine unreachable");
        let n = colour_codes(&t.screen_escaped());
        assert_eq!(n > 0, want_colour, "NO_COLOR={no_color}: {n} colour codes");
    }
}

/// Copies a folder tree (fixtures are small).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

#[test]
fn file_changes_update_the_tree() {
    let home = tempfile::tempdir().unwrap();
    let ws = home.path().join("harbor");
    copy_tree(&fixture(), &ws);
    let script = format!(
        "env {} {} {}; sleep 600",
        env(home.path()),
        env!("CARGO_BIN_EXE_kyozo"),
        ws.display()
    );
    let t = Tmux::start(&script, tempfile::tempdir().unwrap());
    t.wait_text("worker");
    // A new service folder appears in the tree and the table.
    std::fs::create_dir_all(ws.join("services/billing")).unwrap();
    std::fs::write(
        ws.join("services/billing/Dockerfile"),
        "FROM scratch\nEXPOSE 9100\n",
    )
    .unwrap();
    let s = t.wait_text("○ billing containerized");
    assert!(s.contains("9100"), "{s}");
    // A folder ignored by .gitignore is never a service.
    std::fs::write(ws.join(".gitignore"), "generated/\n").unwrap();
    std::fs::create_dir_all(ws.join("generated")).unwrap();
    std::fs::write(ws.join("generated/Dockerfile"), "FROM scratch\n").unwrap();
    // A removed service goes away.
    std::fs::remove_dir_all(ws.join("services/worker")).unwrap();
    let s = t.wait_for("worker gone", |s| !s.contains("worker"));
    assert!(s.contains("billing"), "{s}");
    assert!(!s.contains("generated"), "ignored folder shown:\n{s}");
}

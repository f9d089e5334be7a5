//! What a JavaScript entry file is (a server, a script, a library's exports, browser code), and
//! whether a workspace root's start script only runs one of its members.

use std::sync::LazyLock;

use regex::Regex;

/// What an entry file does when run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// It listens: `app.listen(...)`, `createServer`, `Bun.serve`, `export default { fetch }`.
    Server,
    /// It runs and exits or loops without exporting anything (a bot, a worker, a CLI script).
    Script,
    /// It only exports code (`module.exports`, `export function`): a library's entry point.
    Library,
    /// It runs in a browser (`document.`, `window.`): a page's script, not a Node entry.
    Browser,
}

static SERVER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?xm)
        \.listen\s*\(
        | \bcreateServer\s*\(
        | \bBun\.serve\s*\(
        | \bDeno\.serve\s*\(
        | \bstartStandaloneServer\s*\(
        | \bNestFactory\.create
        | \bserve\s*\(\s*\{[^}]*\bfetch\b
        | \bserve\s*\(\s*app\b
        | ^\s*export\s+default\s*\{[^}]*\b(?:fetch|port)\b
        ",
    )
    .ok()
});
static EXPORTS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?m)^\s*(?:module\.exports\b|exports\.\w+\s*=|export\s+(?:default\b|\{|\*|async\s|function\b|const\b|let\b|class\b|type\b|interface\b|enum\b))").ok()
});
static BROWSER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\b(?:document\.(?:getElementById|querySelector|createElement|body|addEventListener)|window\.(?:addEventListener|location|onload)|customElements\.define)\b").ok()
});

/// Classifies entry code.
pub fn classify(text: &str) -> Entry {
    let code: String = text
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("//") || t.starts_with('*') || t.starts_with("/*"))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let found = |re: &LazyLock<Option<Regex>>| re.as_ref().is_some_and(|r| r.is_match(&code));
    if found(&SERVER) {
        Entry::Server
    } else if found(&BROWSER) && !code.contains("process.") && !code.contains("require(") {
        Entry::Browser
    } else if found(&EXPORTS) {
        Entry::Library
    } else {
        Entry::Script
    }
}

/// Monorepo tools whose `run`/`start` runs members' scripts.
const MONOREPO_TOOLS: &[&str] = &["turbo", "nx", "lerna", "rush", "moon", "ultra", "wireit"];

/// Whether a workspace root's start script only starts a member: `cd apps/web && npm start`,
/// `turbo run start`, `npm start -w api`, `pnpm --filter web start`, `yarn workspace api start`,
/// `node packages/api/index.js` (with `packages/` a workspace folder).
pub fn delegates(start: &str, workspace_dirs: &[String]) -> bool {
    let words: Vec<&str> = start.split_whitespace().collect();
    let cmds: Vec<&str> = words.iter().copied().filter(|w| !w.contains('=')).collect();
    let tool = match cmds.first() {
        Some(&"npx") => cmds.get(1).copied().unwrap_or(""),
        Some(c) => c,
        None => return false,
    };
    if MONOREPO_TOOLS.contains(&tool) {
        return true;
    }
    let filters = [
        "-w",
        "--workspace",
        "--workspaces",
        "--filter",
        "-F",
        "-r",
        "--recursive",
        "--prefix",
        "-C",
        "--dir",
    ];
    if ["npm", "pnpm", "yarn", "bun"].contains(&tool)
        && (words.iter().any(|w| {
            filters.contains(w) || filters.iter().any(|f| w.starts_with(&format!("{f}=")))
        }) || words
            .get(1)
            .is_some_and(|w| *w == "workspace" || *w == "workspaces"))
    {
        return true;
    }
    let in_member = |path: &str| {
        let path = path.trim_start_matches("./");
        workspace_dirs
            .iter()
            .any(|d| path.starts_with(&format!("{d}/")))
    };
    if tool == "cd" && words.get(1).is_some_and(|d| in_member(d)) {
        return true;
    }
    words
        .iter()
        .skip(1)
        .any(|w| super::is_js_file(w) && in_member(w))
}

/// The folders that a workspace's member globs name (`packages/*` gives `packages`, `apps/web`
/// gives `apps/web`).
pub fn workspace_dirs(globs: &[String]) -> Vec<String> {
    globs
        .iter()
        .map(|g| {
            g.trim_start_matches("./")
                .trim_end_matches("/**")
                .trim_end_matches("/*")
                .trim_end_matches('/')
                .to_string()
        })
        .filter(|d| !d.is_empty() && !d.starts_with('!') && !d.contains('*'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_kinds() {
        assert_eq!(
            classify("const app = express();\napp.listen(PORT);\nmodule.exports = app;\n"),
            Entry::Server
        );
        assert_eq!(
            classify("Bun.serve({ port: 3000, fetch() {} })"),
            Entry::Server
        );
        assert_eq!(
            classify(
                "export default {\n  port: 3000,\n  fetch(req) { return new Response('x') },\n}\n"
            ),
            Entry::Server
        );
        assert_eq!(classify("console.log('hello')\n"), Entry::Script);
        assert_eq!(
            classify(
                "import abbrev from 'abbrev';\nconsole.log('loaded');\nexport function greet() {}\n"
            ),
            Entry::Library
        );
        assert_eq!(
            classify("module.exports = { extends: ['next'] };\n"),
            Entry::Library
        );
        assert_eq!(
            classify("document.getElementById('app').textContent = 'x';\n"),
            Entry::Browser
        );
        // A commented-out listen is not a server.
        assert_eq!(
            classify("// app.listen(3000)\nexport const x = 1;\n"),
            Entry::Library
        );
    }

    #[test]
    fn delegating_start_scripts() {
        let dirs = workspace_dirs(&["packages/*".to_string(), "apps/*".to_string()]);
        assert_eq!(dirs, vec!["packages", "apps"]);
        for s in [
            "cd apps/web && npm start",
            "turbo run start",
            "npx turbo run start --filter=web",
            "nx serve",
            "npm start -w api",
            "npm run start --workspace=api",
            "pnpm --filter web start",
            "yarn workspace api start",
            "node packages/api/index.js",
            "NODE_ENV=production node packages/api/index.js",
        ] {
            assert!(delegates(s, &dirs), "{s}");
        }
        for s in [
            "node index.js",
            "next start",
            "node dist/server.js",
            "cd build && node x.js",
        ] {
            assert!(!delegates(s, &dirs), "{s}");
        }
    }
}

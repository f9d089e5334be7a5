use super::*;

fn svc(name: &str, path: &str) -> Service {
    Service::new(name, path, ServiceType::Containerized, 0.9)
}

#[test]
fn parse_errors_name_the_line() {
    let (l, d) = parse("ignore = [\"x\"]\n[deploy]\ntarget = \"k8s\"\n");
    assert_eq!(l, Loaded::default());
    assert!(d[0].message.starts_with("line 3:"), "{d:?}");
    let (_, d) = parse("[services.a]\nprot = 1\n");
    assert!(d[0].message.starts_with("line 2:"), "{d:?}");
    assert!(d[0].message.contains("prot"), "{d:?}");
    let (_, d) = parse("[services.a]\nport = \"x\"\n");
    assert!(d[0].message.starts_with("line 2:"), "{d:?}");
    let (l, d) = parse("");
    assert!(d.is_empty());
    assert_eq!(l.overrides, Overrides::default());
}

#[test]
fn renames_and_stack_references_follow() {
    let (l, d) = parse("[services.web]\npath = \"front\"\n[services.stack2]\npath = \".\"\n");
    assert!(d.is_empty());
    let mut s = vec![svc("ws", "."), svc("front", "front")];
    s[1].stack = Some("ws".into());
    let mut diags = Vec::new();
    let origin = apply(&l, &mut s, &[".", "front"], &mut diags);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(origin, vec![Some(0), Some(1)]);
    assert_eq!(s[0].name, "stack2");
    assert_eq!(s[1].name, "web");
    assert_eq!(s[1].stack.as_deref(), Some("stack2"));
    assert!(s[1].overridden("name"));
}

#[test]
fn ignoring_a_stack_frees_its_folders() {
    let (l, _) = parse("[services.ws]\nignore = true\n");
    let mut s = vec![svc("ws", "."), svc("front", "front")];
    s[1].stack = Some("ws".into());
    s[1].deployable = false;
    let mut diags = Vec::new();
    let origin = apply(&l, &mut s, &[".", "front"], &mut diags);
    assert_eq!(origin, vec![Some(1)]);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].stack, None);
    assert!(s[0].deployable);
}

#[test]
fn bad_values_are_diagnostics_and_leave_the_field() {
    let (l, _) = parse(
        "[services.a]\nport = 0\nscaling = { min = 4, max = 2 }\n[services.b]\npath = \"../x\"\n[services.c]\npath = \"missing\"\ntype = \"python\"\n[services.d]\npath = \"bare\"\n",
    );
    let mut s = vec![svc("a", "a")];
    let mut diags = Vec::new();
    apply(&l, &mut s, &[".", "a", "bare"], &mut diags);
    assert_eq!(s[0].port, None);
    assert_eq!(s[0].scaling, crate::detect::Scaling::default());
    let text: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    assert!(text.iter().any(|m| m.contains("port 0")), "{text:?}");
    assert!(
        text.iter().any(|m| m.contains("min 4 is above max 2")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|m| m.contains("not inside the workspace")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|m| m.contains("`missing` is not a folder")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|m| m.contains("say its `type`")),
        "{text:?}"
    );
    assert!(text.iter().all(|m| m.starts_with("line ")), "{text:?}");
}

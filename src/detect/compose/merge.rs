//! Merging an override file into its base compose file as compose does: mappings merge key by key,
//! `environment`, `labels`, `extra_hosts` and `depends_on` merge as maps (a list form is read as the
//! map it stands for), `ports`, `expose`, `volumes`, `env_file` and the other lists of values are
//! appended (without repeating a value), `command` and `entrypoint` and any other scalar or list are
//! replaced.

use serde_yaml_ng::{Mapping, Value};

/// Service keys whose list or map forms merge as maps.
const MAP_KEYS: &[&str] = &["environment", "labels", "extra_hosts", "depends_on"];
/// Service keys whose lists are appended to.
const APPEND_KEYS: &[&str] = &[
    "ports",
    "expose",
    "volumes",
    "env_file",
    "dns",
    "dns_search",
    "tmpfs",
    "external_links",
    "devices",
    "cap_add",
    "cap_drop",
    "secrets",
    "configs",
];

/// Merges `over` into `base` (both whole compose documents).
pub fn merge(base: &mut Value, over: Value) {
    let Value::Mapping(over) = over else {
        return;
    };
    let Value::Mapping(b) = base else {
        *base = Value::Mapping(over);
        return;
    };
    for (k, v) in over {
        if k.as_str() == Some("services")
            && let Value::Mapping(services) = v
        {
            let entry = b.entry(k).or_insert_with(|| Value::Mapping(Mapping::new()));
            if !entry.is_mapping() {
                *entry = Value::Mapping(Mapping::new());
            }
            if let Value::Mapping(bs) = entry {
                for (name, svc) in services {
                    match bs.get_mut(&name) {
                        Some(existing) => merge_service(existing, svc),
                        None => {
                            bs.insert(name, svc);
                        }
                    }
                }
            }
            continue;
        }
        match b.get_mut(&k) {
            Some(existing) => deep(existing, v),
            None => {
                b.insert(k, v);
            }
        }
    }
}

/// Merges one service definition of an override into the base's.
fn merge_service(base: &mut Value, over: Value) {
    let (Value::Mapping(b), Value::Mapping(o)) = (&mut *base, &over) else {
        *base = over;
        return;
    };
    for (k, v) in o {
        let key = k.as_str().unwrap_or("");
        if MAP_KEYS.contains(&key) {
            let mut m = as_map(key, b.get(k));
            for (mk, mv) in as_map(key, Some(v)) {
                m.insert(mk, mv);
            }
            b.insert(k.clone(), Value::Mapping(m));
        } else if APPEND_KEYS.contains(&key) {
            let mut list = match b.get(k) {
                Some(Value::Sequence(s)) => s.clone(),
                Some(Value::Null) | None => Vec::new(),
                Some(other) => vec![other.clone()],
            };
            let add = match v {
                Value::Sequence(s) => s.clone(),
                other => vec![other.clone()],
            };
            for x in add {
                if !list.contains(&x) {
                    list.push(x);
                }
            }
            b.insert(k.clone(), Value::Sequence(list));
        } else if let Some(existing) = b.get_mut(k) {
            deep(existing, v.clone());
        } else {
            b.insert(k.clone(), v.clone());
        }
    }
}

/// Mappings merge key by key, anything else is replaced.
fn deep(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => deep(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// The map a list or map form stands for: `["A=1", "B"]` is `{A: "1", B: null}`; a `depends_on`
/// list `[db]` is `{db: {condition: service_started}}`.
fn as_map(key: &str, v: Option<&Value>) -> Mapping {
    match v {
        Some(Value::Mapping(m)) => m.clone(),
        Some(Value::Sequence(items)) => {
            let mut m = Mapping::new();
            for item in items {
                let Some(s) = item.as_str() else { continue };
                if key == "depends_on" {
                    let mut cond = Mapping::new();
                    cond.insert(
                        Value::String("condition".into()),
                        Value::String("service_started".into()),
                    );
                    m.insert(Value::String(s.to_string()), Value::Mapping(cond));
                    continue;
                }
                let sep = if key == "extra_hosts" { ':' } else { '=' };
                match s.split_once(sep) {
                    Some((k, val)) => m.insert(
                        Value::String(k.trim().to_string()),
                        Value::String(val.to_string()),
                    ),
                    None => m.insert(Value::String(s.trim().to_string()), Value::Null),
                };
            }
            m
        }
        _ => Mapping::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> Value {
        serde_yaml_ng::from_str(s).unwrap()
    }

    #[test]
    fn overrides_merge_as_compose_merges_them() {
        let mut base = yaml(
            r#"
services:
  api:
    build: ./api
    command: ["node", "server.js"]
    ports: ["8080:80"]
    environment: [A=1, B=2]
    depends_on: [db]
  db:
    image: postgres:16
volumes:
  data: {}
"#,
        );
        let over = yaml(
            r#"
services:
  api:
    command: ["node", "--inspect", "server.js"]
    ports: ["8080:80", "9229:9229"]
    environment:
      B: "3"
      C: "4"
    depends_on:
      cache: {condition: service_healthy}
    volumes: [".:/app"]
  cache:
    image: redis:7
volumes:
  cache: {}
"#,
        );
        merge(&mut base, over);
        let api = &base["services"]["api"];
        assert_eq!(api["build"], yaml("./api"));
        assert_eq!(
            api["command"],
            yaml(r#"["node", "--inspect", "server.js"]"#)
        );
        assert_eq!(api["ports"], yaml(r#"["8080:80", "9229:9229"]"#));
        assert_eq!(api["environment"], yaml(r#"{A: "1", B: "3", C: "4"}"#));
        assert_eq!(
            api["depends_on"],
            yaml("{db: {condition: service_started}, cache: {condition: service_healthy}}")
        );
        assert_eq!(api["volumes"], yaml(r#"[".:/app"]"#));
        assert_eq!(base["services"]["cache"]["image"], yaml("redis:7"));
        assert_eq!(base["services"]["db"]["image"], yaml("postgres:16"));
        assert!(base["volumes"].get("data").is_some() && base["volumes"].get("cache").is_some());
    }

    #[test]
    fn odd_shapes_do_not_fail() {
        let mut base = yaml("services: {}\n");
        merge(&mut base, yaml("[1, 2]\n"));
        assert_eq!(base, yaml("services: {}\n"));
        let mut base = yaml("services:\n  a: {ports: '80'}\n");
        merge(&mut base, yaml("services:\n  a: {ports: ['81']}\n  b: ~\n"));
        assert_eq!(base["services"]["a"]["ports"], yaml("['80', '81']"));
        let mut base = yaml("x: 1\n");
        merge(&mut base, yaml("services: {a: {image: i}}\n"));
        assert_eq!(base["services"]["a"]["image"], yaml("i"));
    }
}

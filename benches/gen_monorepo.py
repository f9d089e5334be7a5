#!/usr/bin/env python3
"""Generates a synthetic monorepo for the detection benchmark.

Layout: <out>/services/group-<g>/svc-<i>/ for every service, each with a manifest of its kind and a
src/ tree of small files; Node services also get a node_modules/ tree that .gitignore (and kyozo's
always-skipped list) leave out. The tree is a git repository so that fd honours .gitignore too.

Usage: gen_monorepo.py OUT [--services 500] [--dirs 10] [--files 20] [--mode mixed|core]
  mixed: Dockerfile, compose, Node, Python, Go, Rust, nginx, Terraform and static services
  core:  only Dockerfile and compose services (detected without the ecosystem analyzers)
Prints the number of walked (not ignored) files and of ignored files.
"""
import argparse
import os
import shutil
import subprocess

MIXED = ["docker", "compose", "node", "python", "go", "rust", "nginx", "terraform", "static"]
CORE = ["docker", "compose"]


def manifest(kind, i):
    prev = f"svc-{i - 1}" if i > 0 else "svc-0"
    if kind == "docker":
        return {"Dockerfile": f"FROM alpine:3.20\nENV UPSTREAM_URL=http://{prev}:80 POSTGRES_USER={prev}\n"
                              f"EXPOSE {8000 + i % 1000}\nCMD [\"/app\", \"--port\", \"{8000 + i % 1000}\"]\n"}
    if kind == "compose":
        return {"compose.yaml": "services:\n  db:\n    image: postgres:16\n    healthcheck:\n"
                                "      test: [\"CMD\", \"pg_isready\"]\n  app:\n    image: alpine:3.20\n"
                                f"    ports: [\"{20000 + i}:80\"]\n    depends_on:\n      db:\n"
                                "        condition: service_healthy\n"}
    if kind == "node":
        return {"package.json": '{"name": "svc-%d", "scripts": {"start": "node server.js"},'
                                ' "dependencies": {"express": "^4.19.0"}}\n' % i,
                "server.js": "const app = require('express')();\napp.listen(process.env.PORT || 3000);\n"}
    if kind == "python":
        return {"requirements.txt": "flask==3.0.0\n",
                "app.py": "from flask import Flask\napp = Flask(__name__)\n"
                          "if __name__ == '__main__':\n    app.run(port=5000)\n"}
    if kind == "go":
        return {"go.mod": f"module example.com/svc{i}\n\ngo 1.22\n",
                "main.go": "package main\n\nimport \"net/http\"\n\nfunc main() { http.ListenAndServe(\":8080\", nil) }\n"}
    if kind == "rust":
        return {"Cargo.toml": f"[package]\nname = \"svc{i}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n"
                              "[dependencies]\naxum = \"0.7\"\n",
                "src/main.rs": "fn main() {}\n"}
    if kind == "nginx":
        return {"nginx.conf": f"server {{\n  listen 80;\n  location / {{ proxy_pass http://{prev}:80; }}\n}}\n"}
    if kind == "terraform":
        return {"main.tf": "variable \"region\" { default = \"eu\" }\n"}
    if kind == "static":
        return {"index.html": "<!doctype html><h1>site</h1>\n"}
    raise ValueError(kind)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--services", type=int, default=500)
    ap.add_argument("--dirs", type=int, default=10)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--ignored", type=int, default=400, help="files per node_modules tree")
    ap.add_argument("--mode", choices=["mixed", "core"], default="mixed")
    a = ap.parse_args()
    kinds = MIXED if a.mode == "mixed" else CORE
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    os.makedirs(a.out)
    with open(os.path.join(a.out, ".gitignore"), "w") as f:
        f.write("node_modules/\ndist/\n*.log\n")
    with open(os.path.join(a.out, "README.md"), "w") as f:
        f.write("synthetic monorepo\n")
    walked, ignored = 2, 0
    for i in range(a.services):
        kind = kinds[i % len(kinds)]
        svc = os.path.join(a.out, "services", f"group-{i // 25}", f"svc-{i}")
        for rel, text in manifest(kind, i).items():
            p = os.path.join(svc, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f:
                f.write(text)
            walked += 1
        for d in range(a.dirs):
            sub = os.path.join(svc, "src", f"mod{d}")
            os.makedirs(sub, exist_ok=True)
            for k in range(a.files):
                with open(os.path.join(sub, f"file{k}.txt"), "w") as f:
                    f.write("x\n")
                walked += 1
        with open(os.path.join(svc, "debug.log"), "w") as f:
            f.write("ignored by .gitignore\n")
        ignored += 1
        if kind == "node":
            for k in range(a.ignored):
                sub = os.path.join(svc, "node_modules", f"pkg{k // 20}")
                os.makedirs(sub, exist_ok=True)
                with open(os.path.join(sub, f"f{k}.js"), "w") as f:
                    f.write("module.exports = 1;\n")
                ignored += 1
    subprocess.run(["git", "init", "-q", a.out], check=True)
    print(f"generated {a.services} services, {walked} walked files, {ignored} ignored files in {a.out}")


if __name__ == "__main__":
    main()

// Demo API: plain Node `http` module, no dependencies.
const http = require("http");

const port = Number(process.env.PORT || 3000);
const authUrl = process.env.AUTH_URL || "http://auth:8000";

const server = http.createServer((req, res) => {
  if (req.url === "/health") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok\n");
    return;
  }
  http
    .get(`${authUrl}/whoami`, (up) => {
      let body = "";
      up.on("data", (c) => (body += c));
      up.on("end", () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ service: "api", auth: body.trim() }) + "\n");
      });
    })
    .on("error", (e) => {
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ service: "api", error: e.message }) + "\n");
    });
});

server.listen(port, () => console.log(`api listening on ${port}`));

/** One-off HTTP requests without keep-alive: a hub restarted on the same port must not get a stale socket. */
import { request } from "node:http";

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON (content-type set) unless a string. */
  body?: unknown;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  text: string;
}

/** Rejects when the server cannot be reached or does not answer within `timeoutMs` (default 5 s). */
export function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const { method = "GET", headers = {}, body, timeoutMs = 5_000 } = options;
  const payload = body === undefined || typeof body === "string" ? body : JSON.stringify(body);
  const allHeaders =
    payload !== undefined && typeof body !== "string"
      ? { "content-type": "application/json", ...headers }
      : headers;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: allHeaders, agent: false, timeout: timeoutMs }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** The status of a GET, 0 when the server cannot be reached. */
export function httpStatus(url: string, timeoutMs = 2_000): Promise<number> {
  return httpRequest(url, { timeoutMs }).then(
    (res) => res.status,
    () => 0,
  );
}

/** The body of a GET, "" when the server cannot be reached. */
export function httpText(url: string, timeoutMs = 2_000): Promise<string> {
  return httpRequest(url, { timeoutMs }).then(
    (res) => res.text,
    () => "",
  );
}

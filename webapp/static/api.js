// The bot's JSON API. Every request carries Telegram's signed launch data; the server
// takes the user from it and from nothing else.

export class Api {
  constructor(initData) {
    this.headers = { Authorization: `tma ${initData}` };
  }

  async get(path) {
    return this.#answer(await fetch(path, { headers: this.headers }));
  }

  async post(path, body, { keepalive = false } = {}) {
    return this.#answer(await fetch(path, {
      method: "POST", keepalive, body: JSON.stringify(body),
      headers: { ...this.headers, "Content-Type": "application/json" },
    }));
  }

  async #answer(response) {
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(data.error || `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  countries() { return this.get("api/countries"); }
  country(code) { return this.get(`api/country/${encodeURIComponent(code)}`); }
  search(text) { return this.get(`api/search?q=${encodeURIComponent(text)}`); }
  subscribe(code, subscribed) { return this.post("api/subscription", { code, subscribed }); }
  closed() { return this.post("api/closed", {}, { keepalive: true }); }
}

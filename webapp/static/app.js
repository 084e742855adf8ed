// The Mini App: a globe to spin, a country panel with its top stories, a search field.
// Inside Telegram it uses the theme, haptics, the Back button and the Main button; in a
// plain browser the same page works with defaults. Texts from the server are inserted
// with textContent only, never as HTML.

import { Api } from "./api.js";
import { Globe } from "./globe.js";

const webApp = window.Telegram?.WebApp;
const $ = (id) => document.getElementById(id);
const api = new Api(webApp?.initData || "");
const state = { countries: new Map(), byId: new Map(), mine: new Set(), selected: null,
  changed: false };

function status(text) {
  $("status").textContent = text;
}

function haptic(kind) {
  try {
    if (kind === "toggle") webApp?.HapticFeedback?.impactOccurred("medium");
    else webApp?.HapticFeedback?.selectionChanged();
  } catch { /* an old client without haptics */ }
}

function ago(published, now) {
  const minutes = Math.max(0, Math.round((new Date(now) - new Date(published)) / 60000));
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} days ago`;
}

function element(name, text, className) {
  const made = document.createElement(name);
  if (text !== undefined) made.textContent = text;
  if (className) made.className = className;
  return made;
}

function storyItem(story, now) {
  const item = element("li");
  const link = element("a", story.title);
  link.href = story.url;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  link.addEventListener("click", (event) => {
    if (webApp?.openLink && webApp.initData) {
      event.preventDefault();
      webApp.openLink(story.url);
    }
  });
  const meta = element("p", "", "meta");
  const parts = [story.outlet, ago(story.published, now)];
  if (story.other_countries) {
    parts.push(`covered in ${story.other_countries} other ${story.other_countries === 1
      ? "country" : "countries"}`);
  }
  meta.append(parts.join(" · "));
  if (story.not_in_us_media) meta.append(" ", element("span", "not in US media", "badge"));
  item.append(link, meta);
  return item;
}

function showPanel(country) {
  state.selected = country;
  $("flag").textContent = country.flag;
  $("name").textContent = country.name;
  const subscribed = state.mine.has(country.code);
  if (!country.outlets) {
    $("outlets").textContent = `No outlets for ${country.name} yet, so there is nothing to `
      + "follow here.";
  } else {
    $("outlets").textContent = `Outlets: ${country.outlet_names.join(", ")}`;
  }
  const toggle = $("toggle");
  toggle.hidden = !country.outlets;
  toggle.textContent = subscribed ? "Unsubscribe" : "Subscribe";
  toggle.classList.toggle("subscribed", subscribed);
  const list = $("stories");
  list.replaceChildren(...country.stories.map((story) => storyItem(story, country.now)));
  if (country.outlets && !country.stories.length) {
    list.replaceChildren(element("li", "No stories in the current edition yet.", "empty"));
  }
  $("panel").hidden = false;
  webApp?.BackButton?.show();
}

function hidePanel() {
  $("panel").hidden = true;
  if (state.selected) globe?.mark(state.selected.id, "selected", false);
  state.selected = null;
  webApp?.BackButton?.hide();
}

async function openCountry(code) {
  const summary = state.countries.get(code);
  if (state.selected) globe?.mark(state.selected.id, "selected", false);
  if (summary?.id) {
    globe?.mark(summary.id, "selected", true);
    globe?.spinTo(summary.id);
  }
  haptic("select");
  try {
    showPanel(await api.country(code));
  } catch (error) {
    status(`Could not load ${summary?.name || code}: ${error.message}`);
  }
}

async function toggleSubscription() {
  const country = state.selected;
  if (!country) return;
  const button = $("toggle");
  button.disabled = true;
  try {
    const answer = await api.subscribe(country.code, !state.mine.has(country.code));
    setMine(answer.mine);
    state.changed = true;
    haptic("toggle");
    showPanel({ ...country, subscribed: answer.subscribed });
  } catch (error) {
    status(`Could not change ${country.name}: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

function setMine(codes) {
  for (const code of state.mine) globe?.mark(state.countries.get(code)?.id, "mine", false);
  state.mine = new Set(codes);
  for (const code of state.mine) globe?.mark(state.countries.get(code)?.id, "mine", true);
}

let searchTimer;
async function search(text) {
  const results = $("results");
  if (!text.trim()) {
    results.hidden = true;
    return [];
  }
  const { results: found } = await api.search(text);
  results.replaceChildren(...found.map((country) => {
    const item = element("li");
    const button = element("button", `${country.flag} ${country.name}`);
    button.type = "button";
    button.setAttribute("role", "option");
    button.addEventListener("click", () => choose(country.code));
    item.append(button);
    return item;
  }));
  if (!found.length) results.replaceChildren(element("li", "No country by that name.", "empty"));
  results.hidden = false;
  return found;
}

function choose(code) {
  $("results").hidden = true;
  $("search").blur();
  openCountry(code);
}

function listen() {
  const input = $("search");
  input.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search(input.value).catch((e) => status(e.message)), 150);
  });
  input.addEventListener("keydown", async (event) => {
    if (event.key !== "Enter") return;
    clearTimeout(searchTimer);
    const [first] = await search(input.value);
    if (first) choose(first.code);
  });
  $("close").addEventListener("click", hidePanel);
  $("toggle").addEventListener("click", toggleSubscription);
  webApp?.BackButton?.onClick(hidePanel);
  webApp?.MainButton?.setText("Done");
  webApp?.MainButton?.onClick(async () => {
    await closed();
    webApp.close();
  });
  webApp?.MainButton?.show();
  window.addEventListener("pagehide", closed);
}

// Tells the bot the app closed, once, so it can send one summary if anything changed.
async function closed() {
  if (!state.changed) return;
  state.changed = false;
  await api.closed().catch(() => {});
}

let globe = null;

async function main() {
  webApp?.ready();
  webApp?.expand();
  listen();
  const [topology, data] = await Promise.all([
    fetch("static/vendor/world-atlas/countries-110m.json").then((r) => r.json()),
    api.countries().catch((error) => {
      status(error.status === 401
        ? "Open this page from the bot in Telegram: it needs Telegram's launch data."
        : `Could not load the countries: ${error.message}`);
      return { countries: [], mine: [] };
    }),
  ]);
  for (const country of data.countries) {
    state.countries.set(country.code, country);
    if (country.id) state.byId.set(country.id, country);
  }
  globe = new Globe($("globe"), topology, {
    onTap: (id) => {
      const country = state.byId.get(id);
      if (country) openCountry(country.code);
    },
  });
  for (const country of data.countries) {
    if (country.outlets && country.id) globe.mark(country.id, "covered", true);
  }
  setMine(data.mine);
  document.body.classList.add("ready");
}

main();

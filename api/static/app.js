// The chat page: asks over /v1/ask/stream, shows the cited sentences, lists the sources one entry per
// article (the cited ones first, as the API orders them), copies a quote with its attribution, and opens
// each source with the quoted sentence highlighted. Article text is untrusted: it is only ever set with
// textContent, never parsed as HTML, and only http(s) links are made clickable.

const form = document.getElementById("ask");
const question = document.getElementById("question");
const sendButton = document.getElementById("send");
const conversation = document.getElementById("conversation");
const turnTemplate = document.getElementById("turn-template");
const sourceView = document.getElementById("source-view");
const sourceTitle = document.getElementById("source-title");
const sourceMeta = document.getElementById("source-meta");
const sourceText = document.getElementById("source-text");
const apiKey = document.getElementById("api-key");

const field = (id) => document.getElementById(id);
const KEY_STORAGE = "news-qa-api-key";
// The conversation's earlier questions, sent with each question so that a follow-up ("And what did he
// say about Iran?") is answered as the question it continues; the service keeps to the latest 20.
const MAX_HISTORY = 20;
let history = [];

apiKey.value = sessionStorage.getItem(KEY_STORAGE) || "";
apiKey.addEventListener("change", () => sessionStorage.setItem(KEY_STORAGE, apiKey.value.trim()));
form.addEventListener("submit", onAsk);
question.addEventListener("keydown", (event) => {
  // Enter asks, Shift+Enter adds a line, as in chat tools.
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});
field("source-close").addEventListener("click", () => sourceView.close());
field("new-conversation").addEventListener("click", startOver);
question.focus();

async function onAsk(event) {
  event.preventDefault();
  const text = question.value.trim();
  if (!text || sendButton.disabled) return;
  const turn = addTurn(text);
  question.value = "";
  setBusy(true);
  try {
    const body = requestBody(text);
    if (await streamAnswer(body, turn)) history = [...history, text].slice(-MAX_HISTORY);
  } catch (error) {
    showStatus(turn, `Something went wrong: ${error.message}`, "error");
  } finally {
    setBusy(false);
    question.focus();
  }
}

function requestBody(text) {
  const body = { question: text, top_k: Number(field("top-k").value) || 5 };
  const filters = {};
  const sources = field("source").value.split(",").map((s) => s.trim()).filter(Boolean);
  if (sources.length) filters.source = sources;
  if (field("published-after").value) filters.published_after = field("published-after").value;
  if (field("published-before").value) filters.published_before = field("published-before").value;
  if (Object.keys(filters).length) body.filters = filters;
  if (field("as-of").value) body.as_of = field("as-of").value;
  if (history.length) body.history = history;
  return body;
}

// Later questions no longer continue the earlier ones.
function startOver() {
  history = [];
  conversation.replaceChildren();
  question.focus();
}

function requestHeaders(extra = {}) {
  const key = apiKey.value.trim();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

async function streamAnswer(body, turn) {
  const response = await fetch("/v1/ask/stream", {
    method: "POST",
    headers: requestHeaders({ "Content-Type": "application/json", Accept: "text/event-stream" }),
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    showStatus(turn, await errorMessage(response), "error");
    return false;
  }
  showStatus(turn, "Searching the articles…");
  const state = { answer: null, ended: false };
  for await (const [name, data] of serverEvents(response.body)) {
    EVENT_HANDLERS[name]?.(turn, data, state);
  }
  // A stream that stops before `done` or `error` (a dropped connection, a restarted server) must not look
  // like an answer still on its way.
  if (!state.ended) showStatus(turn, "The answer was cut off before it was complete: ask again.", "error");
  return true;
}

const EVENT_HANDLERS = {
  passages(turn, data) {
    renderPassages(turn, data.passages);
    showStatus(turn, data.passages.length ? "Reading the best passages…" : "No passages match.");
    showLatest(turn);
  },
  answer(turn, data, state) {
    state.answer = data;
    showRewritten(turn, data.rewritten_question);
    showDates(turn, data.dates);
    if (data.answerable) return;
    const outside = data.reason === "outside_date_range";
    showStatus(turn, outside ? "Not found in the articles within those dates." : "Not found in the articles.",
               "not-found");
    turn.querySelector(".passages-title").textContent = outside ? "Nearest passages, outside those dates"
                                                                : "Nearest passages";
  },
  citations(turn, data, state) {
    if (state.answer?.answerable) {
      if (state.answer.generated) renderWritten(turn, state.answer.answer, data.citations);
      else renderAnswer(turn, data.citations, state.answer.short_answer);
      showStatus(turn, "");
    }
  },
  error(turn, data, state) {
    state.ended = true;
    showStatus(turn, `Error: ${data.error?.message || "the answer could not be completed"}.`, "error");
    turn.classList.add("failed");
  },
  done(turn, data, state) {
    state.ended = true;
    turn.classList.add("done");
  },
};

async function* serverEvents(stream) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = parseEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event) yield event;
    }
  }
}

function parseEvent(block) {
  let name = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) name = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
  }
  return data.length ? [name, JSON.parse(data.join("\n"))] : null;
}

async function errorMessage(response) {
  if (response.status === 401) return "This server needs an API key: enter it under Filters.";
  try {
    const body = await response.json();
    return body.error?.message || response.statusText;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

function addTurn(text) {
  const turn = turnTemplate.content.firstElementChild.cloneNode(true);
  turn.querySelector(".you").textContent = text;
  conversation.append(turn);
  showLatest(turn);
  return turn;
}

// The question at the top of the screen, so its answer reads downwards as it arrives; called again as the
// turn grows, since a short page cannot yet scroll that far.
function showLatest(turn) {
  if (turn === conversation.lastElementChild) turn.scrollIntoView({ block: "start" });
}

// A follow-up is answered as a standalone question: the reader sees which.
function showRewritten(turn, rewritten) {
  const note = turn.querySelector(".rewritten");
  note.textContent = rewritten ? `Answered as: ${rewritten}` : "";
  note.hidden = !rewritten;
}

// An answer given as the news stood on a day, or from some dates' articles, says so.
function showDates(turn, dates) {
  const note = turn.querySelector(".dates");
  note.textContent = dates ? `${dates.text.charAt(0).toUpperCase()}${dates.text.slice(1)}.` : "";
  note.hidden = !dates;
}

function showStatus(turn, message, kind = "") {
  const status = turn.querySelector(".status");
  status.textContent = message;
  status.className = `status ${kind}`.trim();
  status.hidden = !message;
}

function setBusy(busy) {
  sendButton.disabled = busy;
  sendButton.textContent = busy ? "Asking…" : "Ask";
}

function renderAnswer(turn, citations, short) {
  const answer = turn.querySelector(".answer");
  answer.replaceChildren();
  citations.forEach((citation, index) => {
    const sentence = document.createElement("span");
    sentence.className = "sentence";
    sentence.append(...withShortAnswer(citation, short));
    answer.append(sentence, " ", ...speakerNote(citation.speaker), citationMarker(citation, index), " ");
  });
  listCitations(answer, citations);
}

// The quote as text, the short answer marked within it when it lies in this citation: the offsets are
// the article's, so the mark is exactly the characters the service checked.
function withShortAnswer(citation, short) {
  const inside = short && short.article_id === citation.article_id &&
                 citation.start <= short.start && short.end <= citation.end;
  if (!inside) return [citation.quote];
  const from = utf16Offset(citation.quote, short.start - citation.start);
  const to = utf16Offset(citation.quote, short.end - citation.start);
  const mark = document.createElement("mark");
  mark.className = "short-answer";
  mark.textContent = citation.quote.slice(from, to);
  mark.title = "The short answer";
  return [citation.quote.slice(0, from), mark, citation.quote.slice(to)];
}

// Who says the quoted sentence, after it; nothing when the article does not say.
function speakerNote(speaker) {
  if (!speaker) return [];
  const note = document.createElement("span");
  note.className = "speaker";
  note.textContent = `— ${speaker}`;
  return [note, " "];
}

// A written answer: its text as text, each [n] marker a button opening the n-th citation.
function renderWritten(turn, text, citations) {
  const answer = turn.querySelector(".answer");
  answer.replaceChildren();
  const written = document.createElement("span");
  written.className = "written";
  for (const part of text.split(/(\[\d+\])/)) {
    const number = part.match(/^\[(\d+)\]$/);
    const citation = number && citations[Number(number[1]) - 1];
    written.append(citation ? citationMarker(citation, Number(number[1]) - 1) : part);
  }
  answer.append(written);
  listCitations(answer, citations);
}

// A marker opens its source; focused, the C key copies its quote with the attribution.
function citationMarker(citation, index) {
  const marker = document.createElement("button");
  marker.type = "button";
  marker.className = "marker";
  marker.textContent = `[${index + 1}]`;
  marker.setAttribute("aria-label", `Source ${index + 1}: ${citation.title || citation.article_id}`);
  marker.setAttribute("aria-keyshortcuts", "C");
  marker.title = "Open the source; press C to copy the quote with its attribution";
  marker.addEventListener("click", () => openSource(citation, [citation]));
  marker.addEventListener("keydown", (event) => {
    if (event.key.toLowerCase() !== "c" || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    copyQuote(citation);
  });
  return marker;
}

// The citations one entry per article, its markers together ("1–3"), each quote beneath it with a
// button that copies it with its attribution.
function listCitations(answer, citations) {
  const cited = document.createElement("ul");
  cited.className = "cited";
  for (const group of byArticle(citations.map((citation, index) => ({ ...citation, number: index + 1 })))) {
    const item = document.createElement("li");
    const numbers = document.createElement("span");
    numbers.className = "numbers";
    numbers.textContent = `[${numberRanges(group.map((citation) => citation.number))}]`;
    const quotes = document.createElement("ul");
    quotes.className = "quotes";
    for (const citation of group) quotes.append(quoteLine(citation));
    item.append(numbers, " ", describeSource(group[0]), quotes);
    cited.append(item);
  }
  answer.append(cited);
}

function quoteLine(citation) {
  const line = document.createElement("li");
  const text = document.createElement("q");
  text.textContent = shorten(citation.quote, 160);
  const copy = document.createElement("button");
  copy.type = "button";
  copy.className = "copy";
  copy.textContent = "Copy";
  copy.setAttribute("aria-label", `Copy quote ${citation.number} with its attribution`);
  copy.addEventListener("click", () => copyQuote(citation, copy));
  const saidBy = citation.speaker ? [" ", Object.assign(document.createElement("span"), {
    className: "said-by", textContent: `— ${citation.speaker}` })] : [];
  line.append(`[${citation.number}] `, text, ...saidBy, " ", copy);
  return line;
}

// Items in order of their article's first appearance, those of one article together.
function byArticle(items) {
  const groups = new Map();
  for (const item of items) {
    if (!groups.has(item.article_id)) groups.set(item.article_id, []);
    groups.get(item.article_id).push(item);
  }
  return [...groups.values()];
}

// 1, 2, 3, 5 → "1–3, 5": runs of three or more as a range.
function numberRanges(numbers) {
  const runs = [];
  for (const number of numbers) {
    const run = runs[runs.length - 1];
    if (run && number === run[run.length - 1] + 1) run.push(number);
    else runs.push([number]);
  }
  return runs.map((run) => (run.length > 2 ? `${run[0]}–${run[run.length - 1]}` : run.join(", "))).join(", ");
}

// The sources one entry per article, in the API's order (the cited articles first), its passages beneath.
function renderPassages(turn, passages) {
  turn.querySelector(".passages-title").hidden = passages.length === 0;
  const list = turn.querySelector(".passages");
  list.replaceChildren();
  for (const group of byArticle(passages)) {
    const first = group[0];
    const item = document.createElement("li");
    const open = document.createElement("button");
    open.type = "button";
    open.className = "link-button";
    open.textContent = first.title || first.article_id;
    open.addEventListener("click", () => openSource(first, group.map((p) => ({ ...p, quote: p.text }))));
    item.append(open, describeSource(first, false), ...alsoReported(group.flatMap((p) => p.also_reported_by || [])));
    const snippets = document.createElement("ul");
    snippets.className = "snippets";
    for (const passage of group) {
      const snippet = document.createElement("li");
      snippet.className = "snippet";
      // The part that matched, not the sentences around it that the passage adds for context.
      const matched = passage.text.slice(utf16Offset(passage.text, passage.match_start - passage.start),
                                         utf16Offset(passage.text, passage.match_end - passage.start));
      snippet.textContent = shorten(matched || passage.text, 280);
      snippets.append(snippet);
    }
    item.append(snippets);
    list.append(item);
  }
}

// The other articles telling the same story, each as source, date and link.
function alsoReported(others) {
  if (!others.length) return [];
  const line = document.createElement("span");
  line.className = "also meta";
  line.append("Also reported by: ");
  others.forEach((other, index) => {
    if (index) line.append("; ");
    appendJoined(line, [other.source || other.title || other.article_id, ...dateAndLink(other)]);
  });
  return [line];
}

// The quote exactly as the service checked it, in quotation marks, then who said it (when the article
// says), the outlet, the day and the link, as a newsroom attributes a quote it takes from elsewhere.
function attributed(citation) {
  const who = [citation.speaker, citation.source, citation.published_at && dayOf(citation.published_at),
               safeUrl(citation.url)].filter(Boolean);
  return `“${citation.quote}”${who.length ? ` — ${who.join(", ")}` : ""}`;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December"];

// "3 June 2022": the day the article gives, in UTC for a moment, the form an attribution uses.
function dayOf(iso) {
  const day = iso.match(/^(\d{4})-(\d{2})-(\d{2})/);
  return day ? `${Number(day[3])} ${MONTHS[Number(day[2]) - 1]} ${day[1]}` : iso;
}

// Copies the quote with its attribution; a Copy `button` also says so on itself for a moment.
async function copyQuote(citation, button = null) {
  const copied = await copyText(attributed(citation));
  announce(copied ? "Copied the quote with its attribution." : "The browser did not allow copying.");
  if (!button) return;
  button.textContent = copied ? "Copied" : "Copy failed";
  setTimeout(() => { button.textContent = "Copy"; }, 2000);
}

// The clipboard API where the page is a secure context (https, localhost); else the older copy command,
// which a page served over plain http on a newsroom's network still has.
async function copyText(text) {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Refused (no permission, page not focused): the copy command may still work.
    }
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  const focused = document.activeElement;
  document.body.append(area);
  area.select();
  area.setSelectionRange(0, text.length);  // select() alone selects nothing in a read-only field on iOS
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } finally {
    area.remove();
    focused?.focus();
  }
  return copied;
}

// Said by screen readers; emptied first and set a moment later, so the same message twice is said twice.
function announce(message) {
  const live = document.getElementById("announcer");
  live.textContent = "";
  setTimeout(() => { live.textContent = message; }, 50);
}

// Title, source, date and link of an article, as safe DOM nodes.
function describeSource(origin, withTitle = true) {
  const line = document.createElement("span");
  line.className = "meta";
  const named = [withTitle && (origin.title || origin.article_id), origin.source].filter(Boolean);
  appendJoined(line, [...named, ...dateAndLink(origin)]);
  return line;
}

// An article's date and a link to it, when it has them: the parts after its name.
function dateAndLink(origin) {
  const parts = [];
  if (origin.published_at) parts.push(publishedDate(origin.published_at));
  const href = safeUrl(origin.url);
  if (href) parts.push(sourceLink(href));
  return parts;
}

function appendJoined(line, parts) {
  parts.forEach((part, index) => line.append(index ? " · " : "", part));
}

// A bare date stays a date; a moment is shown to the minute in UTC, the zone the API gives it in.
function publishedDate(iso) {
  const time = document.createElement("time");
  time.dateTime = iso;
  const moment = iso.match(/^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/);
  time.textContent = moment ? `${moment[1]} ${moment[2]} UTC` : iso;
  return time;
}

function sourceLink(href) {
  const link = document.createElement("a");
  link.href = href;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  link.title = href;
  link.textContent = "original article";
  return link;
}

// The article, with each of `spans` (start, end and the `quote` expected there) highlighted.
async function openSource(origin, spans) {
  const response = await fetch(`/v1/articles/${encodeURIComponent(origin.article_id)}`, { headers: requestHeaders() });
  if (!response.ok) {
    sourceTitle.textContent = origin.title || origin.article_id;
    sourceMeta.textContent = await errorMessage(response);
    sourceText.replaceChildren();
  } else {
    const article = await response.json();
    sourceTitle.textContent = article.title || article.id;
    sourceMeta.replaceChildren(describeSource({ ...article, article_id: article.id }, false));
    highlight(sourceText, article.text, spans);
  }
  if (!sourceView.open) sourceView.showModal();
  sourceText.querySelector("mark")?.scrollIntoView({ block: "center" });
}

function highlight(container, text, spans) {
  // The API counts characters as Unicode code points; JavaScript strings count UTF-16 units.
  const parts = [];
  let at = 0;
  let stale = false;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    const from = Math.max(utf16Offset(text, span.start), at);
    const to = utf16Offset(text, span.end);
    if (to <= from) continue;
    const mark = document.createElement("mark");
    mark.textContent = text.slice(from, to);
    stale ||= text.slice(utf16Offset(text, span.start), to) !== span.quote;
    parts.push(text.slice(at, from), mark);
    at = to;
  }
  container.replaceChildren(...parts, text.slice(at));
  if (stale) {
    const note = document.createElement("p");
    note.className = "stale";
    note.textContent = "The article has changed since this answer; the highlight may be out of place.";
    container.prepend(note);
  }
}

function utf16Offset(text, codePoints) {
  let index = 0;
  for (let seen = 0; seen < codePoints && index < text.length; seen += 1) {
    index += text.codePointAt(index) > 0xffff ? 2 : 1;
  }
  return index;
}

function safeUrl(url) {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function shorten(text, limit) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= limit ? flat : `${flat.slice(0, limit).replace(/\s\S*$/, "")} …`;
}

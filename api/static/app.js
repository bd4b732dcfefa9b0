// The chat page: asks over /v1/ask/stream, shows the cited sentences, and opens each source with the
// quoted sentence highlighted. Article text is untrusted: it is only ever set with textContent, never
// parsed as HTML, and only http(s) links are made clickable.

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

function citationMarker(citation, index) {
  const marker = document.createElement("button");
  marker.type = "button";
  marker.className = "marker";
  marker.textContent = `[${index + 1}]`;
  marker.setAttribute("aria-label", `Source ${index + 1}: ${citation.title || citation.article_id}`);
  marker.addEventListener("click", () => openSource(citation, citation.quote));
  return marker;
}

function listCitations(answer, citations) {
  const cited = document.createElement("ol");
  cited.className = "cited";
  for (const citation of citations) {
    const item = document.createElement("li");
    item.append(describeSource(citation));
    cited.append(item);
  }
  answer.append(cited);
}

function renderPassages(turn, passages) {
  turn.querySelector(".passages-title").hidden = passages.length === 0;
  const list = turn.querySelector(".passages");
  list.replaceChildren();
  for (const passage of passages) {
    const item = document.createElement("li");
    const open = document.createElement("button");
    open.type = "button";
    open.className = "link-button";
    open.textContent = passage.title || passage.article_id;
    open.addEventListener("click", () => openSource(passage, passage.text));
    const snippet = document.createElement("p");
    snippet.className = "snippet";
    // The part that matched, not the sentences around it that the passage adds for context.
    const matched = passage.text.slice(passage.match_start - passage.start, passage.match_end - passage.start);
    snippet.textContent = shorten(matched || passage.text, 280);
    item.append(open, describeSource(passage, false), snippet);
    list.append(item);
  }
}

// Title, source, date and link of an article, as safe DOM nodes.
function describeSource(origin, withTitle = true) {
  const line = document.createElement("span");
  line.className = "meta";
  const parts = [];
  if (withTitle) parts.push(origin.title || origin.article_id);
  if (origin.source) parts.push(origin.source);
  if (origin.published_at) parts.push(publishedDate(origin.published_at));
  const href = safeUrl(origin.url);
  if (href) parts.push(sourceLink(href));
  parts.forEach((part, index) => line.append(index ? " · " : "", part));
  return line;
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

async function openSource(origin, expected) {
  const response = await fetch(`/v1/articles/${encodeURIComponent(origin.article_id)}`, { headers: requestHeaders() });
  if (!response.ok) {
    sourceTitle.textContent = origin.title || origin.article_id;
    sourceMeta.textContent = await errorMessage(response);
    sourceText.replaceChildren();
  } else {
    const article = await response.json();
    sourceTitle.textContent = article.title || article.id;
    sourceMeta.replaceChildren(describeSource({ ...article, article_id: article.id }, false));
    highlight(sourceText, article.text, origin.start, origin.end, expected);
  }
  if (!sourceView.open) sourceView.showModal();
  sourceText.querySelector("mark")?.scrollIntoView({ block: "center" });
}

function highlight(container, text, start, end, expected) {
  // The API counts characters as Unicode code points; JavaScript strings count UTF-16 units.
  const from = utf16Offset(text, start);
  const to = utf16Offset(text, end);
  const mark = document.createElement("mark");
  mark.textContent = text.slice(from, to);
  container.replaceChildren(text.slice(0, from), mark, text.slice(to));
  if (expected !== undefined && mark.textContent !== expected) {
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

// The chat page in the browser: citations ([n] links), the preview card, the phone's bottom sheet, the
// article following each new answer, copy as text, export as Markdown, and the questions kept per tab.
// Gradio's sanitizer keeps an answer's href and class attributes but no data-* or scripts, so all of it
// is delegated listeners here reading the answer's own markup (see assistant/ui/html.py).
(() => {
  const PREFIX = "#aa-span-";
  const STORE_KEY = "article-assistant:questions";
  const ARTICLE_KEY = "article-assistant:article"; // the article picker's choice (the server checks it)
  const MAX_SAVED = 30;
  const MESSAGE = '[data-testid="bot"], [data-testid="user"]';

  const article = () => document.getElementById("aa-article");
  const chat = () => document.getElementById("aa-chat");
  const citeOf = (target) => target instanceof Element && target.closest(`a[href^="${PREFIX}"]`);
  const keyOf = (cite) => cite.getAttribute("href").slice(PREFIX.length);

  /** The article panel stands beside the chat (desktop), or flows below it (phone). */
  const sideBySide = () => {
    const panel = document.getElementById("aa-article-panel");
    const column = document.getElementById("aa-chat-column");
    if (!panel || !column) return false;
    return panel.getBoundingClientRect().left >= column.getBoundingClientRect().right - 1;
  };

  const marksOf = (key) =>
    [...(article()?.querySelectorAll("mark[data-aa-spans]") ?? [])].filter((mark) =>
      mark.dataset.aaSpans.split(" ").includes(key),
    );

  /** Highlight a span in the article and scroll to it: the page too when asked (a click), or only
   * the article panel (an answer arriving: the reader stays at the chat). */
  const show = (key, { focus = true, activate = true, pageScroll = true } = {}) => {
    const view = article();
    if (!view) return false;
    const marks = marksOf(key);
    if (activate) {
      view.querySelectorAll(".aa-active").forEach((mark) => mark.classList.remove("aa-active"));
      marks.forEach((mark) => mark.classList.add("aa-active"));
    }
    if (!marks.length) return false;
    if (pageScroll || view.scrollHeight <= view.clientHeight + 1) {
      marks[0].scrollIntoView({ block: "center", behavior: "smooth" });
    } else {
      const top = marks[0].getBoundingClientRect().top - view.getBoundingClientRect().top;
      view.scrollTo({ top: view.scrollTop + top - view.clientHeight / 3, behavior: "smooth" });
    }
    if (focus) view.focus({ preventScroll: true });
    return true;
  };

  /** What a [n] points at: its quote and "speaker · section", from the answer's source list (or the
   * article's marks while the answer is still streaming in). */
  const sourceOf = (cite) => {
    const href = cite.getAttribute("href");
    const answer = cite.closest(".aa-answer");
    const item = answer && [...answer.querySelectorAll(".aa-sources li")].find((li) =>
      li.querySelector(`a[href="${CSS.escape(href)}"]`),
    );
    const quote = item?.querySelector(".aa-quote")?.textContent ||
      marksOf(keyOf(cite)).map((mark) => mark.textContent).join("");
    return { marker: cite.textContent.trim(), quote, where: item?.querySelector(".aa-where")?.textContent || "" };
  };

  const element = (tag, attributes = {}, text = "") => {
    const node = document.createElement(tag);
    Object.entries(attributes).forEach(([name, value]) => node.setAttribute(name, value));
    if (text) node.textContent = text;
    return node;
  };

  // ---- the preview card: hover or focus a [n] ---------------------------------------------------
  let card = null;
  let cardFor = null;
  const hideCard = () => {
    if (!card) return;
    card.hidden = true;
    cardFor?.removeAttribute("aria-describedby");
    cardFor = null;
  };
  const showCard = (cite) => {
    if (!sideBySide()) return; // on a phone, a tap opens the bottom sheet instead
    const { quote, where } = sourceOf(cite);
    if (!quote) return;
    if (!card) {
      card = element("div", { id: "aa-card", class: "aa-card", role: "tooltip" });
      card.hidden = true;
      document.body.append(card);
    }
    card.replaceChildren(element("q", { class: "aa-card-quote" }, quote));
    if (where) card.append(element("p", { class: "aa-card-where" }, where));
    card.hidden = false;
    cardFor = cite;
    cite.setAttribute("aria-describedby", "aa-card");
    placeCard();
  };
  /** Beside its [n]: below it, or above when there is no room below; it moves when the chat scrolls. */
  const placeCard = () => {
    if (!card || card.hidden || !cardFor) return;
    const link = cardFor.getBoundingClientRect();
    if (!cardFor.isConnected || link.bottom < 0 || link.top > window.innerHeight) {
      hideCard();
      return;
    }
    const width = Math.min(420, window.innerWidth - 16);
    card.style.width = `${width}px`;
    card.style.left = `${Math.max(8, Math.min(link.left, window.innerWidth - width - 8)) + window.scrollX}px`;
    const height = card.offsetHeight;
    const below = link.bottom + 8;
    const top = below + height > window.innerHeight && link.top - height - 8 > 0 ? link.top - height - 8 : below;
    card.style.top = `${top + window.scrollY}px`;
  };
  document.addEventListener("mouseover", (event) => {
    const cite = citeOf(event.target);
    if (cite && cite !== cardFor) showCard(cite);
  });
  document.addEventListener("mouseout", (event) => {
    const cite = citeOf(event.target);
    if (cite && !cite.contains(event.relatedTarget) && document.activeElement !== cite) hideCard();
  });
  document.addEventListener("focusin", (event) => {
    const cite = citeOf(event.target);
    if (cite) showCard(cite);
    else hideCard();
  });
  window.addEventListener("scroll", placeCard, { passive: true, capture: true });

  // ---- the bottom sheet: tap a [n] on a phone --------------------------------------------------
  let sheet = null;
  let sheetOpener = null;
  const closeSheet = () => {
    if (!sheet || sheet.hidden) return;
    sheet.hidden = true;
    sheetOpener?.focus({ preventScroll: true });
    sheetOpener = null;
  };
  const openSheet = (cite) => {
    const { marker, quote, where } = sourceOf(cite);
    if (!sheet) {
      sheet = element("div", { id: "aa-sheet", class: "aa-sheet-backdrop" });
      sheet.innerHTML =
        '<div class="aa-sheet" role="dialog" aria-modal="true" aria-labelledby="aa-sheet-title">' +
        '<div class="aa-sheet-head"><h2 id="aa-sheet-title" class="aa-sheet-title"></h2>' +
        '<button type="button" class="aa-sheet-close" aria-label="Close">✕</button></div>' +
        '<blockquote class="aa-sheet-quote"></blockquote><p class="aa-sheet-where"></p>' +
        '<a class="aa-sheet-show" href="#aa-article">Show in article</a></div>';
      sheet.hidden = true;
      document.body.append(sheet);
      sheet.addEventListener("click", (event) => {
        if (event.target === sheet || event.target.closest(".aa-sheet-close")) closeSheet();
      });
      sheet.querySelector(".aa-sheet-show").addEventListener("click", (event) => {
        event.preventDefault();
        const key = sheet.dataset.key;
        sheetOpener = null;
        closeSheet();
        show(key, { pageScroll: true });
      });
    }
    sheet.dataset.key = keyOf(cite);
    sheet.querySelector(".aa-sheet-title").textContent = `Source ${marker}`;
    sheet.querySelector(".aa-sheet-quote").textContent = quote || "(this passage is not in the article shown)";
    sheet.querySelector(".aa-sheet-where").textContent = where;
    sheet.hidden = false;
    sheetOpener = cite;
    sheet.querySelector(".aa-sheet-close").focus({ preventScroll: true });
  };
  document.addEventListener("keydown", (event) => {
    const open = sheet && !sheet.hidden;
    if (event.key === "Escape") {
      if (open) closeSheet();
      else hideCard();
    } else if (event.key === "Tab" && open) {
      // A modal sheet keeps the keyboard inside it: Tab cycles between its close button and its link.
      const stops = [...sheet.querySelectorAll("button, a[href]")];
      const at = stops.indexOf(document.activeElement);
      const next = (at + (event.shiftKey ? stops.length - 1 : 1)) % stops.length;
      event.preventDefault();
      stops[at < 0 ? 0 : next].focus();
    }
  });

  document.addEventListener(
    "click",
    (event) => {
      const cite = citeOf(event.target);
      if (!cite || cite.closest("#aa-sheet")) return;
      event.preventDefault();
      event.stopPropagation();
      hideCard();
      if (sideBySide()) show(keyOf(cite));
      else openSheet(cite);
    },
    true,
  );

  // ---- copy as text, export as Markdown ----------------------------------------------------------
  /** One message as plain text/Markdown: an answer with its [n], then its quoted sources. */
  const messageText = (message) => {
    const copy = message.querySelector(".aa-copy");
    if (copy) return copy.textContent.trim();
    const question = message.querySelector(".aa-question");
    return (question ?? message).innerText.trim();
  };
  const messages = () =>
    [...(chat()?.querySelectorAll(MESSAGE) ?? [])].map((node) => ({
      role: node.dataset.testid === "user" ? "You" : "Assistant",
      text: messageText(node),
    }));
  const conversationMarkdown = () => {
    const title = document.querySelector(".aa-header h1")?.textContent.trim() || "the article";
    const meta = document.querySelector(".aa-header .aa-meta")?.textContent.trim();
    const lines = [`# Questions about “${title}”`];
    if (meta) lines.push("", meta);
    messages().forEach(({ role, text }) => lines.push("", `**${role}:**`, "", text));
    return `${lines.join("\n")}\n`;
  };
  const copyText = async (text) => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = element("textarea");
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
  };
  /** The message a message's button belongs to: Gradio puts the buttons right after it, so it is the
   * last message before the button at the nearest level that has one. */
  const messageOf = (button) => {
    for (let node = button; node && node !== chat(); node = node.parentElement) {
      for (let before = node.previousElementSibling; before; before = before.previousElementSibling) {
        const found = before.matches(MESSAGE) ? [before] : before.querySelectorAll(MESSAGE);
        if (found.length) return found[found.length - 1];
      }
    }
    return null;
  };
  // Gradio's own copy buttons put the rendered HTML on the clipboard: they copy our text instead.
  document.addEventListener(
    "click",
    (event) => {
      const button = event.target instanceof Element && event.target.closest("#aa-chat button");
      if (!button) return;
      const label = `${button.getAttribute("aria-label") || ""} ${button.getAttribute("title") || ""}`;
      if (!/copy/i.test(label)) return;
      const all = /all|conversation|chat/i.test(label);
      const message = all ? null : messageOf(button);
      if (!all && !message) return;
      event.preventDefault();
      event.stopPropagation();
      copyText(all ? conversationMarkdown() : messageText(message));
      button.classList.add("aa-copied");
      setTimeout(() => button.classList.remove("aa-copied"), 1500);
    },
    true,
  );
  const exportMarkdown = () => {
    const title = document.querySelector(".aa-header h1")?.textContent.trim() || "article";
    const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60);
    const url = URL.createObjectURL(new Blob([conversationMarkdown()], { type: "text/markdown" }));
    const link = element("a", { href: url, download: `questions-${slug || "article"}.md` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  // ---- after every change: keep the questions for this tab, let the article follow the answer ------
  const saved = () => {
    try {
      const questions = JSON.parse(sessionStorage.getItem(STORE_KEY) || "[]");
      const valid = Array.isArray(questions) && questions.every((q) => typeof q === "string");
      return JSON.stringify(valid ? questions.slice(-MAX_SAVED) : []);
    } catch {
      return "[]";
    }
  };
  const follow = (tries = 40) => {
    if (!sideBySide()) return; // on a phone the article is below the chat: stay in the chat
    const bots = chat()?.querySelectorAll('[data-testid="bot"]') ?? [];
    const first = bots.length ? bots[bots.length - 1].querySelector(`.aa-text a[href^="${PREFIX}"]`) : null;
    const key = first && keyOf(first);
    const marks = key ? marksOf(key).filter((mark) => mark.classList.contains("aa-current")) : [];
    if (!marks.length) {
      if (key && tries > 0) requestAnimationFrame(() => follow(tries - 1));
      return;
    }
    show(key, { focus: false, activate: false, pageScroll: false });
  };
  const savedArticle = () => {
    try {
      return sessionStorage.getItem(ARTICLE_KEY) || "";
    } catch {
      return "";
    }
  };
  const changed = (asked, articleId) => {
    try {
      const questions = JSON.parse(asked || "[]");
      if (questions.length) sessionStorage.setItem(STORE_KEY, JSON.stringify(questions.slice(-MAX_SAVED)));
      else sessionStorage.removeItem(STORE_KEY);
      if (typeof articleId === "string") sessionStorage.setItem(ARTICLE_KEY, articleId);
    } catch {
      /* storage full or disabled: the chat simply starts fresh on reload */
    }
    requestAnimationFrame(() => follow());
    requestAnimationFrame(() => place());
  };

  // The chat does not scroll to its end (autoscroll is off): a new question goes to the top of the chat,
  // so its answer is read from its first line down; a fresh chat shows its overview from the top.
  let questionsShown = -1;
  const place = (tries = 40) => {
    const scroller = [...(chat()?.querySelectorAll("*") ?? [])].find(
      (node) => node.scrollHeight > node.clientHeight + 1 && getComputedStyle(node).overflowY !== "visible",
    );
    const questions = chat()?.querySelectorAll('[data-testid="user"]') ?? [];
    if (!scroller) {
      if (tries > 0) requestAnimationFrame(() => place(tries - 1));
      return;
    }
    const last = questions[questions.length - 1];
    const top = last ? last.getBoundingClientRect().top - scroller.getBoundingClientRect().top + scroller.scrollTop : 0;
    scroller.scrollTo({ top: Math.max(0, top - 8) });
  };
  new MutationObserver(() => {
    const count = chat()?.querySelectorAll('[data-testid="user"]').length ?? 0;
    if (count !== questionsShown) {
      questionsShown = count;
      requestAnimationFrame(() => place());
    }
  }).observe(document.documentElement, { childList: true, subtree: true });

  window.aaChat = { saved, savedArticle, changed, exportMarkdown, conversationMarkdown, messageText };
})();

// Accessibility of the chat page, kept apart from chat.js (the article view's region and label are in
// its markup, assistant/ui/html.py): focus goes back to the question box once an answer picked from an
// example or a suggestion is complete; bold text is drawn from a complete font file.
(() => {
  const QUESTION = "#aa-question textarea";
  // Gradio's example buttons (before the first message) and a message's suggestion buttons.
  const PICKS = "#aa-chat .examples button, #aa-chat .options button";

  // Gradio gives its example buttons a role="list" parent with no listitems (axe: critical).
  const fixExamples = () => {
    document.querySelectorAll('#aa-chat .examples[role="list"]').forEach((list) => {
      list.setAttribute("role", "group");
      list.setAttribute("aria-label", "Example questions");
    });
  };

  // One typeface for bold text: the theme declares Source Sans Pro at 400 and 600, and Gradio's 600 file
  // is a 13-glyph subset, so every other letter of a bold heading came from a system fallback. The
  // complete Bold file Gradio ships beside it serves 600 instead: a face added to document.fonts after
  // the theme's wins for the same weight, and 700, declared nowhere, falls back to 600. Found relative
  // to the theme stylesheet, so it resolves under a public path prefix and inside another page's
  // <gradio-app> too.
  let boldAdded = false;
  const addBold = () => {
    if (boldAdded || typeof FontFace === "undefined") return;
    const theme = document.querySelector('link[rel="stylesheet"][href*="theme.css"]');
    if (!theme) return;
    const url = new URL("static/fonts/SourceSansPro/SourceSansPro-Bold.woff2", theme.href);
    document.fonts.add(new FontFace("Source Sans Pro", `url("${url}") format("woff2")`, { weight: "600" }));
    boldAdded = true;
  };

  // After a click on an example or suggestion: once a new answer is complete (no longer streaming),
  // focus the question box, unless the reader has meanwhile put focus somewhere else on purpose.
  let waiting = null;
  const answers = () => document.querySelectorAll('#aa-chat [data-testid="bot"]');
  const streaming = () => document.querySelector("#aa-chat .aa-streaming, #aa-chat .pending") !== null;
  const returnFocus = () => {
    if (!waiting || answers().length <= waiting.answers || streaming()) return;
    const active = document.activeElement;
    const wandered = active && active !== document.body && !active.closest("#aa-chat");
    waiting = null;
    if (!wandered) document.querySelector(QUESTION)?.focus();
  };
  document.addEventListener(
    "click",
    (event) => {
      if (event.target instanceof Element && event.target.closest(PICKS)) {
        waiting = { answers: answers().length };
      }
    },
    true,
  );

  const update = () => {
    fixExamples();
    addBold();
    returnFocus();
  };
  // Nodes added or replaced (Gradio renders late, and again per answer) and class changes (streaming).
  new MutationObserver(update).observe(document.documentElement, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["class"],
  });
  update();
})();

// Clicking (or pressing Enter on) an [n] citation scrolls the article view to its span and highlights it.
(() => {
  const show = (key) => {
    const view = document.getElementById("aa-article");
    if (!view) return;
    view.querySelectorAll(".aa-active").forEach((mark) => mark.classList.remove("aa-active"));
    const marks = [...view.querySelectorAll("mark[data-aa-spans]")].filter((mark) =>
      mark.dataset.aaSpans.split(" ").includes(key),
    );
    marks.forEach((mark) => mark.classList.add("aa-active"));
    if (marks.length) {
      marks[0].scrollIntoView({ block: "center", behavior: "smooth" });
      view.focus({ preventScroll: true });
    }
  };
  document.addEventListener(
    "click",
    (event) => {
      const cite = event.target instanceof Element && event.target.closest('a[href^="#aa-span-"]');
      if (!cite) return;
      event.preventDefault();
      event.stopPropagation();
      show(cite.getAttribute("href").slice("#aa-span-".length));
    },
    true,
  );
})();

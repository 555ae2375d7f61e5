// The subkind choice follows the contract kind: only the chosen kind's subkinds are offered (每类合同只列
// 本类的细分类别). The page lists every kind's subkinds in groups, so it works without this script too.
// Runs on the select's own change event, before htmx's live check on the form sees the change bubble up.
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-follows]")) {
    const kind = document.getElementById(select.dataset.follows);
    const initial = select.value;          // what the page had chosen (kept after a refused submit)
    const groups = {};
    for (const group of select.querySelectorAll("optgroup[data-kind]")) {
      groups[group.dataset.kind] = [...group.children];
      group.remove();
    }
    const none = select.querySelector("option[value='']");
    const follow = (chosen) => {
      select.replaceChildren(none, ...(groups[kind.value] || []));
      select.value = (groups[kind.value] || []).some((o) => o.value === chosen) ? chosen : "";
      select.disabled = !(groups[kind.value] || []).length;
    };
    kind.addEventListener("change", () => follow(select.value));
    follow(initial);
  }
});

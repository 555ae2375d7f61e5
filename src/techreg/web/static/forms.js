// A button that fills an input with the value it carries (data-fill: the input's id, data-value: the value):
// the register form's 按申报额填入 puts the declared amount into the approved amount, for the registrar to
// confirm by registering. Without this script the declared amount stays readable beside the box.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-fill]");
  const input = button && document.getElementById(button.dataset.fill);
  if (!input) return;
  input.value = button.dataset.value;
  input.focus();
  input.dispatchEvent(new Event("input", { bubbles: true }));
});

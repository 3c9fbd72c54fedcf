// The Draw page's canvas: streamlit-drawable-canvas with the pen-width buttons under it, in one component.
//
// The canvas swaps its brush for a new one whenever its stroke width changes, and a swap in the middle of a
// stroke drops the points drawn so far (the stroke comes out as a dot at its end). A width that travels through
// a Streamlit rerun reaches the canvas whenever the rerun lands, often mid-stroke. Here a click on a pen
// reaches the brush in the browser at once, and a width chosen while the pointer is down (from the keyboard)
// waits for the pointer to come up. The page's Python (draw.py beside this file) gives the canvas's own data in
// `data.canvas`, the module's URL in `data.canvasModule`, and the pens; it reads back "drawing" and "pen".

const views = new WeakMap(); // parentElement -> the state of one mounted canvas

export default function penCanvas(component) {
  const { data, parentElement } = component;
  let view = views.get(parentElement);
  if (!view) {
    view = mount(parentElement, data);
    views.set(parentElement, view);
  }
  view.component = component;
  render(view);
  return () => {
    view.unmounted = true;
    view.removeListeners();
    view.canvasCleanup?.();
    view.penRow.replaceChildren();
    views.delete(parentElement);
  };
}

function mount(parentElement, data) {
  const view = { pen: data.pen, pending: null, pointerDown: false, module: null, canvasCleanup: null };
  view.penRow = parentElement.querySelector(".pen-row");
  view.buttons = data.pens.map((width) => penButton(view, width));
  view.penRow.replaceChildren(...view.buttons);
  markChosen(view);

  const canvasRoot = parentElement.querySelector(".canvas-root");
  const down = () => (view.pointerDown = true);
  const up = () => {
    if (!view.pointerDown) return;
    view.pointerDown = false;
    // After the canvas has finished the stroke (its own pointerup handler), never during it.
    setTimeout(() => {
      if (view.pending !== null && !view.pointerDown) applyPen(view, view.pending);
    }, 0);
  };
  canvasRoot.addEventListener("pointerdown", down, true);
  window.addEventListener("pointerup", up, true);
  window.addEventListener("pointercancel", up, true);
  view.removeListeners = () => {
    canvasRoot.removeEventListener("pointerdown", down, true);
    window.removeEventListener("pointerup", up, true);
    window.removeEventListener("pointercancel", up, true);
  };

  import(new URL(data.canvasModule, window.location.origin).href).then((module) => {
    view.module = module;
    if (!view.unmounted) render(view);
  });
  return view;
}

function penButton(view, width) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "pen";
  button.textContent = String(width);
  button.title = `Pen ${width} px`;
  button.addEventListener("click", () => choosePen(view, width));
  return button;
}

function choosePen(view, width) {
  view.pending = width;
  view.component.setStateValue("pen", width);
  markChosen(view, width);
  if (!view.pointerDown) applyPen(view, width);
}

function applyPen(view, width) {
  view.pending = null;
  view.pen = width;
  render(view);
}

function markChosen(view, width = view.pen) {
  for (const button of view.buttons) button.setAttribute("aria-pressed", String(button.textContent === String(width)));
}

function render(view) {
  if (!view.module) return; // the canvas's module is still loading; it renders once loaded
  const { component } = view;
  const canvasData = { ...component.data.canvas, strokeWidth: view.pen };
  view.canvasCleanup = view.module.default({ ...component, data: canvasData });
}

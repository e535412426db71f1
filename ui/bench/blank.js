// The blank window of the benchmarks (examples/blank-window.rs): reports
// DOMContentLoaded to its backend, which prints it.
document.addEventListener('DOMContentLoaded', () => {
  window.__TAURI__.core.invoke('dom_content_loaded');
});

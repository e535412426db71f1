//! A blank Tauri window, the baseline of the memory and start-up
//! benchmarks: the app's own Tauri build (features, release profile,
//! embedded assets) with no plugin, no backend and an empty page, which
//! prints `dom-content-loaded` when its page reports that event.

use tauri::WebviewUrl;

#[tauri::command]
fn dom_content_loaded() {
    println!("dom-content-loaded");
}

fn main() {
    let mut context = tauri::generate_context!();
    for window in &mut context.config_mut().app.windows {
        window.url = WebviewUrl::App("bench/blank.html".into());
    }
    let result = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![dom_content_loaded])
        .run(context);
    if let Err(error) = result {
        eprintln!("blank-window: {error}");
        std::process::exit(1);
    }
}

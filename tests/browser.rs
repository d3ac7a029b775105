//! A real headless Chromium, driven over WebDriver by Debian's
//! `chromedriver`: the approval page is tested by opening links and pressing
//! buttons as an approver does, so every header a browser sets (`Origin`,
//! `Sec-Fetch-*`, `Referer`) is the browser's own.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// How long a page may take to load after a press.
const PAGE_LOAD: Duration = Duration::from_secs(30);

/// The window of a desktop browser, and of a phone (an iPhone 12 to 15 is
/// 390 CSS pixels wide).
pub const DESKTOP: (u32, u32) = (1280, 1000);
pub const PHONE: (u32, u32) = (390, 844);

/// One browser session; the driver and its profile go when it is dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

fn find_on_path(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(|name| (*name).to_owned())
}

impl Browser {
    /// Starts `chromedriver` on a free port and a fresh headless Chromium.
    pub async fn start() -> Self {
        let chromium = find_on_path(&["chromium", "chromium-browser"]).expect(
            "headless Chromium is needed (Debian package `chromium`; `cargo xtask test` installs it)",
        );
        let chromedriver = find_on_path(&["chromedriver"]).expect(
            "ChromeDriver is needed (Debian package `chromium-driver`; `cargo xtask test` installs it)",
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = std::env::temp_dir().join(format!("hitl-chromium-{port}"));
        let _ = std::fs::remove_dir_all(&profile);
        let chromium_path = which(&chromium);
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium_path,
                // This machine reaches only loopback: keep Chromium from
                // calling home, and give it a profile of its own.
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        // chromedriver may still be starting.
        let client = crate::poll_async(Duration::from_secs(30), Duration::from_millis(100), || {
            let capabilities = capabilities.clone();
            let url = url.clone();
            async move {
                let connector = hyper_util::client::legacy::connect::HttpConnector::new();
                ClientBuilder::new(connector)
                    .capabilities(capabilities)
                    .connect(&url)
                    .await
            }
        })
        .await
        .unwrap_or_else(|err| panic!("no browser session through chromedriver at {url}: {err}"));
        let browser = Self {
            client,
            driver,
            profile,
        };
        browser.resize(DESKTOP).await;
        browser
    }

    pub async fn resize(&self, (width, height): (u32, u32)) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resizing the window");
    }

    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.expect("the page opens");
    }

    /// The text of the page as a person reads it.
    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .expect("the page has a body")
            .text()
            .await
            .expect("the body's text")
    }

    /// Whether the page has an element matching `css`.
    pub async fn has(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("searching the page")
            .is_empty()
    }

    /// Types `text` into the field matching `css`.
    pub async fn type_into(&self, css: &str, text: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} on the page: {e}"))
            .send_keys(text)
            .await
            .expect("typing");
    }

    /// Presses the button matching `css` and waits for the page it leads to.
    pub async fn press(&self, css: &str) {
        let button = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} on the page: {e}"));
        button.click().await.expect("pressing the button");
        // The old page's button goes stale once the next page has loaded.
        let what = format!("pressing {css} leading to the next page");
        crate::eventually_async(&what, PAGE_LOAD, Duration::from_millis(50), || async {
            match button.is_displayed().await {
                Ok(shown) => Err(shown),
                Err(_) => Ok(()),
            }
        })
        .await;
        self.wait_loaded().await;
    }

    async fn wait_loaded(&self) {
        let what = "the page finishing loading";
        crate::eventually_async(what, PAGE_LOAD, Duration::from_millis(50), || async {
            match self
                .client
                .execute("return document.readyState", vec![])
                .await
            {
                Ok(state) if state == "complete" => Ok(()),
                other => Err(format!("{other:?}")),
            }
        })
        .await
    }

    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("the current URL")
            .to_string()
    }

    /// Saves the whole page at the window's width to
    /// `target/screenshots/NAME.png` (the window grows to the page's height
    /// for it, then shrinks back).
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let (width, height) = self
            .client
            .get_window_size()
            .await
            .expect("the window's size");
        // How much taller the page is than the viewport.
        let overflow = self
            .client
            .execute(
                "return document.documentElement.scrollHeight - window.innerHeight",
                vec![],
            )
            .await
            .ok()
            .and_then(|h| h.as_u64())
            .and_then(|h| u32::try_from(h).ok())
            .unwrap_or(0);
        let grown = overflow > 0;
        if grown {
            let taller = u32::try_from(height).unwrap_or(DESKTOP.1) + overflow;
            self.resize((u32::try_from(width).unwrap_or(DESKTOP.0), taller))
                .await;
        }
        let png = self.client.screenshot().await.expect("a screenshot");
        if grown {
            self.client
                .set_window_size(
                    u32::try_from(width).unwrap_or(DESKTOP.0),
                    u32::try_from(height).unwrap_or(DESKTOP.1),
                )
                .await
                .expect("resizing the window back");
        }
        let dir = crate::target_dir().join("screenshots");
        std::fs::create_dir_all(&dir).expect("creating target/screenshots");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("writing the screenshot");
        path
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

fn which(command: &str) -> String {
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(command))
                .find(|candidate| Path::new(candidate).is_file())
        })
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| command.to_owned())
}

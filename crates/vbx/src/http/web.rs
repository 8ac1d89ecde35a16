//! The browser app, embedded in the binary (built from `web/` by `build.rs`): `index.html` for
//! every app route, hashed assets with a year-long cache, gzip twins sent when accepted.

use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use include_dir::{include_dir, Dir};

use super::{Access, Route};

static DIST: Dir<'static> = include_dir!("$VBX_WEB_DIST");

/// The app's pages besides the login page, all `index.html`; the UI's router
/// (web/src/router.ts) reads the same paths.
const PAGES: &[&str] = &[
    "/",
    "/messages",
    "/calls",
    "/voicemail",
    "/contacts",
    "/phone",
    "/settings",
    "/t/{number}",
];

/// Scripts only from vbx itself; the Voice SDK talks to Twilio over https/wss, the demo
/// simulator over ws on another port.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' blob: data:; media-src 'self' blob: https:; connect-src 'self' ws: wss: https:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The UI's routes: its pages, and what the login page needs without a session (the page
/// itself and the static files).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Vec<Route<S>> {
    let pages = PAGES
        .iter()
        .map(|&path| Route::new(path, Access::User).get(index));
    pages
        .chain([
            Route::new("/login", Access::Public).get(index),
            Route::new("/assets/{*path}", Access::Public).get(asset),
            Route::new("/favicon.svg", Access::Public).get(favicon),
        ])
        .collect()
}

async fn index(headers: HeaderMap) -> Response {
    let mut res = serve("index.html", &headers, "no-cache");
    if let Ok(csp) = HeaderValue::from_str(CSP) {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    res
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&format!("assets/{path}"), &headers, IMMUTABLE)
}

async fn favicon(headers: HeaderMap) -> Response {
    serve("favicon.svg", &headers, "public, max-age=86400")
}

fn serve(path: &str, headers: &HeaderMap, cache: &'static str) -> Response {
    // `.gz` twins are an encoding of a file, not files of their own.
    let Some(file) = DIST.get_file(path).filter(|_| !path.ends_with(".gz")) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let gzip = accepts_gzip(headers)
        .then(|| DIST.get_file(format!("{path}.gz")))
        .flatten();
    let body = gzip.map_or(file.contents(), |g| g.contents());
    let mut res = Response::new(Body::from(body));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if gzip.is_some() {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    res
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                let p = p.trim().replace(' ', "");
                p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use axum::http::Request;
    use axum::Router;
    use tower::ServiceExt;

    async fn get(path: &str, accept_encoding: Option<&str>) -> Response {
        let mut req = Request::get(path);
        if let Some(ae) = accept_encoding {
            req = req.header(header::ACCEPT_ENCODING, ae);
        }
        let router = routes::<()>()
            .into_iter()
            .fold(Router::new(), |router, route| {
                router.route(route.path, route.handler)
            });
        router
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    async fn body(res: Response) -> Vec<u8> {
        to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec()
    }

    fn header_of(res: &Response, name: header::HeaderName) -> Option<&str> {
        res.headers().get(name).and_then(|v| v.to_str().ok())
    }

    /// The first hashed script the build produced; a UI built without scripts is a broken build.
    fn some_script() -> String {
        let assets = DIST.get_dir("assets").unwrap_or_else(|| {
            panic!(
                "the embedded UI has no assets/ (built with VBX_SKIP_WEB_BUILD=1 and no web/dist?); \
                 build without VBX_SKIP_WEB_BUILD so web/ is built"
            )
        });
        assets
            .files()
            .map(|f| f.path().to_string_lossy().into_owned())
            .find(|p| p.ends_with(".js"))
            .expect("a .js file in the embedded assets")
    }

    #[tokio::test]
    async fn every_app_route_answers_with_the_app_page_and_a_content_security_policy() {
        for path in [
            "/",
            "/login",
            "/calls",
            "/voicemail",
            "/contacts",
            "/phone",
            "/settings",
            "/t/+15551234567",
            "/t/%2B15551234567",
        ] {
            let res = get(path, None).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            assert_eq!(
                header_of(&res, header::CONTENT_TYPE),
                Some("text/html; charset=utf-8")
            );
            assert_eq!(header_of(&res, header::CACHE_CONTROL), Some("no-cache"));
            assert!(header_of(&res, header::CONTENT_SECURITY_POLICY)
                .is_some_and(|c| c.contains("script-src 'self'")));
            let html = String::from_utf8(body(res).await).unwrap();
            assert!(html.contains("<div id=\"root\">"), "{path}: {html}");
        }
    }

    #[tokio::test]
    async fn hashed_assets_are_served_with_their_type_and_a_year_long_cache() {
        let script = some_script();
        let res = get(&format!("/{script}"), None).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            header_of(&res, header::CONTENT_TYPE),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(header_of(&res, header::CACHE_CONTROL), Some(IMMUTABLE));
        assert_eq!(header_of(&res, header::CONTENT_ENCODING), None);
        let bytes = body(res).await;
        assert_eq!(bytes, DIST.get_file(&script).unwrap().contents());
    }

    #[tokio::test]
    async fn a_browser_that_accepts_gzip_gets_the_compressed_twin() {
        let script = some_script();
        let res = get(&format!("/{script}"), Some("gzip, deflate, br")).await;
        assert_eq!(header_of(&res, header::CONTENT_ENCODING), Some("gzip"));
        assert_eq!(
            header_of(&res, header::CONTENT_TYPE),
            Some("text/javascript; charset=utf-8")
        );
        let bytes = body(res).await;
        assert_eq!(
            bytes,
            DIST.get_file(format!("{script}.gz")).unwrap().contents()
        );
        assert_eq!(&bytes[..2], &[0x1f, 0x8b]);

        let refused = get(&format!("/{script}"), Some("gzip;q=0, br")).await;
        assert_eq!(header_of(&refused, header::CONTENT_ENCODING), None);
    }

    #[tokio::test]
    async fn unknown_assets_and_compressed_twins_by_name_are_not_found() {
        assert_eq!(
            get("/assets/nope-123.js", None).await.status(),
            StatusCode::NOT_FOUND
        );
        let twin = format!("/{}.gz", some_script());
        assert_eq!(get(&twin, None).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            get("/api/whatever", None).await.status(),
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn the_favicon_is_served_as_svg() {
        let res = get("/favicon.svg", None).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header_of(&res, header::CONTENT_TYPE), Some("image/svg+xml"));
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type("a/b.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("x.webmanifest"), "application/manifest+json");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }

    #[test]
    fn gzip_is_accepted_unless_refused_with_q_zero() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            accepts_gzip(&h)
        };
        assert!(with("gzip"));
        assert!(with("br, GZIP;q=0.5"));
        assert!(with("*"));
        assert!(!with("br"));
        assert!(!with("gzip;q=0"));
        assert!(!with("identity"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}

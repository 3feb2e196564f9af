//! Windows only: galley.exe carries its icon and version information (what Explorer, the
//! taskbar and "Apps and Features" show), compiled by mingw's windres or rc.exe through
//! `winresource`. Other targets have nothing to do here.

fn main() {
    println!("cargo:rerun-if-changed=assets/icon/galley.ico");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    // The version (file and product) comes from Cargo.toml; cross-building on Linux,
    // winresource finds mingw's `x86_64-w64-mingw32-windres` by the target's name.
    let mut resource = winresource::WindowsResource::new();
    resource
        .set_icon("assets/icon/galley.ico")
        .set("ProductName", "galley")
        .set("FileDescription", "galley: download Imgur galleries and browse them")
        .set("CompanyName", "The galley developers")
        .set("LegalCopyright", "MIT OR Apache-2.0");
    if let Err(error) = resource.compile() {
        // An exe without an icon still works; say why it has none.
        println!("cargo:warning=galley.exe gets no icon or version information: {error}");
    }
}

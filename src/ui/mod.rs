//! placeholder while written (being replaced by the UI work)
pub struct AppOptions {
    pub demo: bool,
}
pub fn run(_options: AppOptions) -> anyhow::Result<()> {
    anyhow::bail!("the desktop app is not built yet")
}

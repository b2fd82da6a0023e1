/// Receives what the node counts (the admin panel's Prometheus metrics), without the Server module
/// depending on the panel.
public protocol NodeObserver: Sendable {
    func amiLogin(succeeded: Bool)
    /// `answered`, `failed`, `refused` …
    func originate(result: String)
}

import Foundation
import SIP
import SIPServer

/// How the call engine is split across event loops: `count` shards, each a call engine with its SIP
/// call driver, transaction layer and media adapter on one loop. Every call of a tenant (its
/// channels, Local pairs, bridges, transfers) lives on the tenant's shard, so nothing crosses shards.
///
/// Which shard a message belongs to:
/// - a tenant's shard is a fixed function of its UUID (`shard(of:)`), so it never changes while the
///   node runs;
/// - every tag, Call-ID and Via branch a shard's driver makes ends with `-s<index>` (`token(_:)`):
///   a response finds its shard from its top Via branch, an in-dialog request from its To tag
///   (Centralino's own tag), both read back with `shard(inToken:)`;
/// - a request without such a To tag (an initial INVITE, its CANCEL, the ACK of a non-2xx refusal)
///   goes to the shard of the tenant it belongs to (the caller's domain, as the driver decides), and
///   to shard 0 when there is none (shard 0 refuses it as one engine did).
package struct CallShardMap: Sendable {
    /// Shards in the node (`--engine-loops`), at least 1.
    package let count: Int

    package init(count: Int) {
        self.count = max(1, count)
    }

    /// The shard of `tenant`: the first eight bytes of its UUID modulo the shard count.
    package func shard(of tenant: UUID) -> Int {
        let bytes = tenant.uuid
        let head = [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5, bytes.6, bytes.7]
        let value = head.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int(value % UInt64(count))
    }

    /// The shard marker `-s<index>` a shard's driver appends to its tags, Call-IDs (before `@`) and branches.
    static func marker(_ shard: Int) -> String { "-s\(shard)" }

    /// A fresh random token (tag or branch suffix) of `shard`.
    static func token(_ shard: Int) -> String { SIPCore.newTag() + marker(shard) }

    /// The shard named by the marker at the end of `token` (or of its part before `@`), nil when
    /// it has none or names no shard of this node.
    func shard(inToken token: Substring) -> Int? {
        let local = token.firstIndex(of: "@").map { token[..<$0] } ?? token
        guard let dash = local.lastIndex(of: "-") else { return nil }
        let rest = local[local.index(after: dash)...]
        guard rest.first == "s", let index = Int(rest.dropFirst()), index >= 0, index < count else { return nil }
        return index
    }

    /// The shard of a response: the marker of its top Via branch (ours), shard 0 without one
    /// (qualify's OPTIONS run through shard 0's transaction layer).
    func shard(ofResponse response: SIPResponse) -> Int {
        guard count > 1, let branch = response.headers.topVia?.branch else { return 0 }
        return shard(inToken: Substring(branch)) ?? 0
    }

    /// The shard of a request: our tag in To, else the tenant of the caller's domain, else 0.
    func shard(ofRequest request: SIPRequest, directory: SIPDirectory) -> Int {
        guard count > 1 else { return 0 }
        if let tag = request.headers.to?.tag, let shard = shard(inToken: Substring(tag)) { return shard }
        guard let host = request.headers.from?.uri.host, let tenant = directory.tenant(forHost: host) else { return 0 }
        return shard(of: tenant.uuid)
    }
}

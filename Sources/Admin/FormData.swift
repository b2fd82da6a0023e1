import Foundation
import Hummingbird
import PBX
import Store

/// A decoded `application/x-www-form-urlencoded` body (or query string), keeping repeated keys.
struct FormData: Sendable {
    private(set) var pairs: [(key: String, value: String)] = []

    init(encoded: String) {
        for part in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(kv[0])
            let value = kv.count > 1 ? Self.decode(kv[1]) : ""
            pairs.append((key, value))
        }
    }

    /// Reads and decodes a request's form body (at most the context's upload limit).
    static func read(_ request: Request, context: AdminRequestContext) async throws -> FormData {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return FormData(encoded: String(buffer: buffer))
    }

    subscript(_ key: String) -> String? {
        pairs.first { $0.key == key }?.value
    }

    /// The value trimmed of surrounding spaces, empty when absent.
    func text(_ key: String) -> String {
        (self[key] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A whole number within `field`'s range (`fallback` when the field is empty); a form error
    /// naming the field otherwise, never a trap.
    func number(_ key: String, _ field: NumberField, default fallback: Int) throws -> Int {
        let text = self.text(key)
        guard !text.isEmpty else { return fallback }
        do {
            return try field.parse(text)
        } catch {
            throw AdminStoreError(.invalid, field: key, error.message)
        }
    }

    private static func decode<S: StringProtocol>(_ text: S) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

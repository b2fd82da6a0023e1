/// A tenant's dialplan: its contexts by name (case-sensitive) and `[globals]`.
///
/// Lookups follow `main/pbx.c:pbx_find_extension()` with the classic (non-trie) search: the context's
/// extensions are tried in sort order, and the first one that matches *and has the wanted priority*
/// (or label) wins; then the included contexts, in order, depth first, each context at most once.
public struct Dialplan: Sendable, Hashable {
    /// Asterisk's `AST_PBX_MAX_STACK`: how deep includes may nest.
    public static let maximumIncludeDepth = 128

    public private(set) var contexts: [String: DialplanContext] = [:]
    /// Variables of `[globals]`.
    public var globals: [String: String] = [:]

    public init(contexts: [DialplanContext] = []) {
        for context in contexts { self.contexts[context.name] = context }
    }

    /// Adds or replaces a context.
    public mutating func insert(_ context: DialplanContext) {
        contexts[context.name] = context
    }

    public subscript(context name: String) -> DialplanContext? { contexts[name] }

    /// Where a lookup landed: the context that held the extension (maybe an included one).
    public struct Match: Sendable, Hashable {
        public var context: String
        public var exten: DialplanExtension
        public var priority: DialplanPriority
    }

    /// The priority `priority` of the first extension matching `exten` in `context` or its includes.
    public func find(context: String, exten: String, priority: Int) -> Match? {
        search(context: context, exten: exten) { candidate in candidate.priority(priority) }
    }

    /// The priority number carrying `label` for `exten` in `context` (`ast_findlabel_extension()`).
    public func findLabel(context: String, exten: String, label: String) -> Int? {
        search(context: context, exten: exten) { candidate in
            candidate.priority(labelled: label).flatMap { candidate.priority($0) }
        }?.priority.number
    }

    /// `ast_exists_extension()`.
    public func exists(context: String, exten: String, priority: Int = 1) -> Bool {
        find(context: context, exten: exten, priority: priority) != nil
    }

    /// `ast_canmatch_extension()`: `exten` matches, or could with more digits.
    public func canMatch(context: String, exten: String) -> Bool {
        closeMatch(context: context, exten: exten, mode: .canMatch)
    }

    /// `ast_matchmore_extension()`: more digits could still select an extension.
    public func matchesPrefix(context: String, exten: String) -> Bool {
        closeMatch(context: context, exten: exten, mode: .matchMore)
    }

    // MARK: - Search

    private func search(
        context: String, exten: String,
        pick: (DialplanExtension) -> DialplanPriority?
    ) -> Match? {
        var visited: [String] = []
        return search(context: context, exten: exten, visited: &visited, pick: pick)
    }

    private func search(
        context name: String, exten: String, visited: inout [String],
        pick: (DialplanExtension) -> DialplanPriority?
    ) -> Match? {
        guard visited.count < Self.maximumIncludeDepth,
            !visited.contains(where: { $0.lowercased() == name.lowercased() }),
            let context = contexts[name]
        else { return nil }
        for candidate in context.extensions where candidate.pattern.matches(exten) {
            if let priority = pick(candidate) {
                return Match(context: name, exten: candidate, priority: priority)
            }
        }
        visited.append(name)
        for include in context.includes {
            if let found = search(context: include, exten: exten, visited: &visited, pick: pick) { return found }
        }
        return nil
    }

    private func closeMatch(context name: String, exten: String, mode: ExtensionPattern.Mode) -> Bool {
        var visited: [String] = []
        return closeMatch(context: name, exten: exten, mode: mode, visited: &visited) ?? false
    }

    /// nil: keep looking; true/false: final answer (an early `!` match ends a matchMore search with no).
    private func closeMatch(
        context name: String, exten: String, mode: ExtensionPattern.Mode,
        visited: inout [String]
    ) -> Bool? {
        guard visited.count < Self.maximumIncludeDepth,
            !visited.contains(where: { $0.lowercased() == name.lowercased() }),
            let context = contexts[name]
        else { return nil }
        let digits = Array(exten.utf8)
        for candidate in context.extensions {
            let result = candidate.pattern.match(digits, mode: mode)
            if result == 0 || candidate.priority(1) == nil { continue }
            if result == 2 && mode == .matchMore { return false }
            return true
        }
        visited.append(name)
        for include in context.includes {
            if let answer = closeMatch(context: include, exten: exten, mode: mode, visited: &visited) { return answer }
        }
        return nil
    }
}

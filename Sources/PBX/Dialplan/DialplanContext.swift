/// A named set of extensions, kept in Asterisk's search order, plus the contexts it includes.
public struct DialplanContext: Sendable, Hashable {
    public var name: String
    /// Extensions sorted as Asterisk sorts them (`ext_cmp()`): the first that matches wins.
    public private(set) var extensions: [DialplanExtension] = []
    /// `include => other`: searched in order after this context's own extensions.
    public var includes: [String] = []

    public init(name: String, extensions: [DialplanExtension] = [], includes: [String] = []) {
        self.name = name
        self.includes = includes
        for exten in extensions { insert(exten) }
    }

    /// Adds or replaces an extension. Names that compare equal (`_X.` and `_x.`, `1-00` and `100`)
    /// are the same extension.
    public mutating func insert(_ exten: DialplanExtension) {
        let index = position(of: exten.pattern)
        if index < extensions.count, extensions[index].pattern.order(comparedTo: exten.pattern) == 0 {
            extensions[index] = exten
        } else {
            extensions.insert(exten, at: index)
        }
    }

    /// The extension whose name compares equal to `name`, if any.
    public func extensionNamed(_ name: String) -> DialplanExtension? {
        let pattern = ExtensionPattern(name)
        let index = position(of: pattern)
        guard index < extensions.count, extensions[index].pattern.order(comparedTo: pattern) == 0 else { return nil }
        return extensions[index]
    }

    /// Adds a priority to the extension `name`, creating it if needed; false on a duplicate priority.
    @discardableResult
    public mutating func add(_ priority: DialplanPriority, to name: String) -> Bool {
        var exten = extensionNamed(name) ?? DialplanExtension(name)
        guard exten.add(priority) else { return false }
        insert(exten)
        return true
    }

    /// The first of this context's own extensions (not includes) that matches `exten` completely.
    public func firstMatch(for exten: String) -> DialplanExtension? {
        extensions.first { $0.pattern.matches(exten) }
    }

    private func position(of pattern: ExtensionPattern) -> Int {
        var low = 0
        var high = extensions.count
        while low < high {
            let mid = (low + high) / 2
            if extensions[mid].pattern.order(comparedTo: pattern) < 0 { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

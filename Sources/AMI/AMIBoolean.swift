/// Asterisk's `ast_true()` / `ast_false()` words, matched case-insensitively.
public enum AMIBoolean {
    static let trueWords: Set<String> = ["yes", "true", "y", "t", "1", "on"]
    static let falseWords: Set<String> = ["no", "false", "n", "f", "0", "off"]

    public static func isTrue(_ text: String) -> Bool {
        trueWords.contains(text.trimmingASCIIWhitespace().lowercased())
    }

    public static func isFalse(_ text: String) -> Bool {
        falseWords.contains(text.trimmingASCIIWhitespace().lowercased())
    }
}

import ConstantTime
import Testing

@Suite struct ConstantTimeTests {
    @Test func equalSecretsCompareEqual() {
        #expect(ConstantTime.equals("s3cret", "s3cret"))
        #expect(ConstantTime.equals("", ""))
        #expect(ConstantTime.equals("päss", "päss"))
    }

    @Test func anyDifferenceIsUnequal() {
        #expect(!ConstantTime.equals("s3cret", "s3creT"))
        #expect(!ConstantTime.equals("s3cret", "t3cret"))
        #expect(!ConstantTime.equals("s3cret", "s3cre"))
        #expect(!ConstantTime.equals("s3cre", "s3cret"))
        #expect(!ConstantTime.equals("", "x"))
        // A prefix padded with NUL bytes is not the secret.
        #expect(!ConstantTime.equals([1, 2, 0], [1, 2]))
    }
}

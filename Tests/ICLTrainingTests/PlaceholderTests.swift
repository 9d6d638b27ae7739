import Testing
@Test func placeholder_ICLTrainingTests() { #expect(1 + 1 == 2) }

// Prints the plain closing line CI reads ("vitest: N passed, N failed") from vitest's JSON report.
import fs from 'node:fs';

const report = JSON.parse(fs.readFileSync('test-results/vitest.json', 'utf8'));
console.log(`vitest: ${report.numPassedTests} passed, ${report.numFailedTests} failed${report.numPendingTests ? `, ${report.numPendingTests} skipped` : ''}`);
process.exitCode = report.numFailedTests || !report.numPassedTests ? 1 : 0;

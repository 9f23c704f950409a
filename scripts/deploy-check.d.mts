// Types of deploy-check.mjs for the tests.
export function varOf(toml: string, name: string): string | undefined;
export function configProblems(toml: string): string[];
export function requiredSecrets(toml: string): string[];
export function missingSecrets(toml: string, present: string[]): string[];
export function databaseName(toml: string): string | undefined;

/**
 * What a read can refuse, without knowing about HTTP: a bad input parameter (named), or a query
 * that ran past its limits. The API answers the first with a 400 naming the parameter, the second
 * with a 503 (time) or 422 (rows); the CLI prints them.
 */
export class InvalidParameter extends Error {
  override name = 'InvalidParameter';
  constructor(
    readonly parameter: string,
    readonly reason: string,
  ) {
    super(`${parameter}: ${reason}`);
  }
}

export class QueryLimitExceeded extends Error {
  override name = 'QueryLimitExceeded';
  constructor(
    readonly limit: 'time' | 'rows',
    message: string,
  ) {
    super(message);
  }
}

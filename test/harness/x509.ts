// @peculiar/x509, loaded after the reflect-metadata polyfill it needs (tsyringe) and wired to Node's WebCrypto.
// Import x509 from here (tests too), never from '@peculiar/x509' directly.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };

/** See web-files.cjs. */
export declare const WEB_FILE: string;
export declare const WEB_SIDE: string;
